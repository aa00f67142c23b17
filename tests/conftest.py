"""Suite-wide rule: in CI (CI=true) the Docker and end-to-end tests must run, so a skip of one is a failure."""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

MUST_RUN_IN_CI = ("docker", "e2e")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if (
        os.environ.get("CI") == "true"
        and report.skipped
        and any(item.get_closest_marker(m) for m in MUST_RUN_IN_CI)
        and not hasattr(report, "wasxfail")
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid}: skipped in CI, where Docker and e2e tests must run: {reason}"
