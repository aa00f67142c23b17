"""bench.coldstart: the issue-13 verdict (each cold start against the floor doing the same AWS work, same mode) and
the round-robin order of the runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench import coldstart
from bench.coldstart import (
    FLOOR_ASGI,
    FLOOR_ASGI_DYNAMODB,
    FLOOR_RAW,
    FLOOR_RAW_DYNAMODB,
    floor_table,
    floor_verdicts,
)
from bench.common import Row, Sheet
from bench.run import budgets, full_markdown

PRODUCT = "product api GET /product/{id}"
CHECKOUT = "ordering consume_checkout"
DLQ = "dlq_demo process"


def cold(subject: str, mode: str, median: float, figure: str = "cold") -> Row:
    return Row.runs(figure, subject, "cold start", "ms", mode, [median - 10, median, median + 10])


def floors(mode: str, raw: float, asgi: float, raw_ddb: float, asgi_ddb: float) -> list[Row]:
    return [
        cold(FLOOR_RAW, mode, raw, "floor"),
        cold(FLOOR_ASGI, mode, asgi, "floor"),
        cold(FLOOR_RAW_DYNAMODB, mode, raw_ddb, "floor"),
        cold(FLOOR_ASGI_DYNAMODB, mode, asgi_ddb, "floor"),
    ]


def test_every_function_names_a_floor_of_the_suite_and_rest_services_the_dynamodb_one() -> None:
    floor_keys = {t.key for t in coldstart.floor_targets()}
    for target in coldstart.targets():
        assert target.floor in floor_keys, target.key
        if target.kind == "rest":
            assert target.floor == FLOOR_ASGI_DYNAMODB


def test_rest_is_judged_against_fastapi_with_one_dynamodb_client_at_125x_and_shows_the_bare_ratio() -> None:
    rows = [cold(PRODUCT, "process", 600), *floors("process", 100, 300, 250, 500)]

    [verdict] = floor_verdicts(rows)

    assert verdict.floor is not None and verdict.floor.subject == FLOOR_ASGI_DYNAMODB
    assert verdict.ratio == 1.2 and verdict.status == "PASS"
    assert verdict.bare_ratio == 2.0
    budget = verdict.budget()
    assert budget.status == "PASS" and budget.limit == "<= 1.25x FastAPI+Mangum+DynamoDB GET"
    assert "600 / 500 ms = 1.20x" in budget.measured and "bare FastAPI+Mangum GET 300 ms: 2.00x" in budget.measured


def test_consumers_get_the_floor_doing_their_aws_work_at_2x_and_miss_above_it() -> None:
    rows = [cold(CHECKOUT, "docker", 520), cold(DLQ, "docker", 210), *floors("docker", 100, 300, 250, 500)]

    checkout, dlq = floor_verdicts(rows)

    assert checkout.floor is not None and checkout.floor.subject == FLOOR_RAW_DYNAMODB
    assert checkout.status == "MISS" and round(checkout.ratio or 0, 2) == 2.08
    assert dlq.floor is not None and dlq.floor.subject == FLOOR_RAW  # no AWS call before its first answer
    assert dlq.status == "MISS" and dlq.bare_ratio == dlq.ratio


def test_floors_are_taken_from_the_same_mode_only() -> None:
    rows = [cold(PRODUCT, "docker", 600), *floors("process", 100, 300, 250, 500)]

    [verdict] = floor_verdicts(rows)

    assert verdict.status == "n/a"
    assert verdict.budget().measured == "no FastAPI+Mangum+DynamoDB GET row in docker mode in this run"


def test_budgets_and_markdown_carry_the_verdicts() -> None:
    sheet = Sheet(rows=[cold(PRODUCT, "process", 700), *floors("process", 100, 300, 250, 500)])

    budgets(sheet)

    [floor_budget] = [b for b in sheet.budgets if b.name.startswith("cold start vs floor")]
    assert floor_budget.name == f"cold start vs floor {PRODUCT} (process)" and floor_budget.status == "MISS"
    table = full_markdown(sheet)
    assert f"| {PRODUCT} | process | 700 (690-710) | FastAPI+Mangum+DynamoDB GET | 500 (490-510) | 1.40x |" in table
    assert "<= 1.25x: MISS | FastAPI+Mangum GET | 300 (290-310) | 2.33x |" in table
    assert floor_table([]).count("\n") == 1  # header only


def test_runs_go_round_robin_and_a_failing_function_is_reported_without_stopping_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    @contextmanager
    def fake_moto() -> Iterator[str]:
        yield "http://127.0.0.1:1"

    def fake_cold_runs(
        target: coldstart.Target, endpoint: str, queue_url: str, mode: str, runs: int, warm_invokes: int = 0
    ) -> tuple[list[float], list[float], list[float], list[float], str]:
        assert runs == 1
        calls.append(target.key)
        if target.key == CHECKOUT:
            raise RuntimeError("no RIE")
        return [100.0], [10.0], [50.0], [1.0] * warm_invokes, ""

    monkeypatch.setattr(coldstart, "moto_server", fake_moto)
    monkeypatch.setattr(coldstart, "provision", lambda endpoint: "queue")
    monkeypatch.setattr(coldstart, "cold_runs", fake_cold_runs)
    monkeypatch.setattr(coldstart, "import_ms", lambda target, env, runs: [5.0] * runs)
    sheet = Sheet()

    coldstart.run(sheet, ["process"], 3, include_floor=True, include_services=True)

    keys = [t.key for t in coldstart.targets() + coldstart.floor_targets()]
    without_failed = [k for k in keys if k != CHECKOUT]
    assert calls == keys + without_failed + without_failed  # run i of each before run i+1 of any
    product = sheet.find("cold", PRODUCT, "cold start", "process")
    assert product is not None and product.n == 3 and product.median == 100.0
    imports = sheet.find("cold", PRODUCT, "import (-X importtime)", "process")
    assert imports is not None and imports.n == 3
    failed = sheet.find("cold", CHECKOUT, "cold start", "process")
    assert failed is not None and failed.n == 0 and failed.note == "n/a: RuntimeError: no RIE"
    warm = sheet.find("floor", FLOOR_RAW, "warm invoke via RIE", "process")
    assert warm is not None and warm.n == 60
