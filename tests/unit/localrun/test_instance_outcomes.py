"""What an RIE instance reports for each outcome of an invoke, with the real RIE in process mode."""

from __future__ import annotations

import subprocess
from pathlib import Path

from localrun.instance import FunctionSpec, start_instance

HANDLERS = """
import os
import time

def ok(event, context):
    return {"echo": event}

def fail(event, context):
    raise ValueError("boom")

def slow(event, context):
    time.sleep(10)

def traced(event, context):
    if event.get("fail"):
        raise ValueError("boom")
    time.sleep(event.get("sleep", 0))
    return {"trace": os.environ.get("_X_AMZN_TRACE_ID")}
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


def test_one_instance_serves_outcome_after_outcome_each_with_its_trace(tmp_path: Path) -> None:
    # GIVEN one instance (its connections to the RIE and the runtime's through the trace proxy stay open between
    # invocations) taking an answer, an error, a timeout (after which the RIE starts a new runtime), then answers
    spec = _spec(tmp_path, "traced", timeout_s=1)
    with start_instance(spec, "process", output=subprocess.DEVNULL) as inst:
        first = inst.invoke(b"{}", trace_header="Root=1-00000001-000000000000000000000001")
        failed = inst.invoke(b'{"fail": true}', trace_header="Root=1-00000002-000000000000000000000002")
        timed_out = inst.invoke(b'{"sleep": 3}', trace_header="Root=1-00000003-000000000000000000000003")
        after = [inst.invoke(b"{}", trace_header=f"Root=1-0000000{n}-00000000000000000000000{n}") for n in (4, 5)]
    # THEN every outcome is reported as such, and each answer carries its own invocation's trace
    assert first.json() == {"trace": "Root=1-00000001-000000000000000000000001"}
    assert failed.error_type == "ValueError"
    assert timed_out.error_type == "Sandbox.Timedout"
    assert [r.json() for r in after] == [{"trace": f"Root=1-0000000{n}-00000000000000000000000{n}"} for n in (4, 5)]
