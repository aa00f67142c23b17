"""What an RIE instance reports for each outcome of an invoke, with the real RIE in process mode."""

from __future__ import annotations

import subprocess
from pathlib import Path

from localrun.instance import FunctionSpec, start_instance

HANDLERS = """
import time

def ok(event, context):
    return {"echo": event}

def fail(event, context):
    raise ValueError("boom")

def slow(event, context):
    time.sleep(10)
"""


def _spec(tmp_path: Path, handler: str, timeout_s: int = 10) -> FunctionSpec:
    (tmp_path / "outcome_handlers.py").write_text(HANDLERS)
    return FunctionSpec(
        name=handler,
        service="test",
        handler=f"outcome_handlers.{handler}",
        env={"PYTHONPATH": str(tmp_path)},
        timeout_s=timeout_s,
    )


def test_success_error_and_timeout_are_told_apart(tmp_path: Path) -> None:
    # GIVEN three instances: one answers, one raises, one runs past its 1 s timeout
    with start_instance(_spec(tmp_path, "ok"), "process", output=subprocess.DEVNULL) as inst:
        ok = inst.invoke(b'{"a": 1}')
    with start_instance(_spec(tmp_path, "fail"), "process", output=subprocess.DEVNULL) as inst:
        failed = inst.invoke(b"{}")
    with start_instance(_spec(tmp_path, "slow", timeout_s=1), "process", output=subprocess.DEVNULL) as inst:
        timed_out = inst.invoke(b"{}")
    # THEN each outcome is reported as such
    assert ok.ok and ok.json() == {"echo": {"a": 1}}
    assert not failed.ok and failed.error_type == "ValueError" and failed.error_message == "boom"
    assert not timed_out.ok and timed_out.error_type == "Sandbox.Timedout"
    assert "timed out" in (timed_out.error_message or "")
