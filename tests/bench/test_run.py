"""bench.run's budgets for the warm REST latency (issue 16): the local API on a kept-open connection against the same
request straight to a warm RIE, at most 1.5x."""

from __future__ import annotations

import pytest

from bench.common import Row, Sheet
from bench.run import budgets

GET = "GET /product/{id}"
NAME = "warm GET /product/{id} local API (kept connection) vs raw RIE p50"


def latency(subject: str, p50: float) -> Row:
    return Row.dist("latency", subject, GET, "ms", "process", [p50] * 5)


@pytest.mark.parametrize(("kept", "status"), [(7.0, "PASS"), (7.6, "MISS")])
def test_the_kept_connection_get_is_held_to_15x_of_raw_rie(kept: float, status: str) -> None:
    sheet = Sheet()
    for row in (
        latency("local API c=1", 9.0),
        latency("local API c=1 keep-alive", kept),
        latency("straight to RIE c=1", 5.0),
    ):
        sheet.add(row)

    budgets(sheet)

    [budget] = [b for b in sheet.budgets if b.name == NAME]
    assert (budget.limit, budget.status) == ("<= 1.5x", status)
    assert budget.measured == f"{kept:.2f} / 5.00 ms = {kept / 5:.2f}x"


def test_without_the_kept_connection_row_the_budget_is_not_measured() -> None:
    sheet = Sheet()
    sheet.add(latency("straight to RIE c=1", 5.0))

    budgets(sheet)

    [budget] = [b for b in sheet.budgets if b.name == NAME]
    assert budget.status == "n/a"
