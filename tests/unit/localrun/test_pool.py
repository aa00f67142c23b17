"""Function pools: an invocation never reaches a busy instance; the pool grows up to its limit."""

from __future__ import annotations

import threading
import time
from typing import Any

from localrun.model import Function
from localrun.pool import FunctionPool
from localrun_testing import FakeFleet, FakeResult

FN = Function("S", "F", "f", "arn:f", "svc", "svc.handler")


def slow(fn: Function, event: Any) -> Any:
    time.sleep(0.05)
    return {"ok": True}


def test_concurrent_invokes_never_share_an_instance_and_respect_the_limit() -> None:
    # GIVEN a pool of at most 3 instances
    fleet = FakeFleet(slow)
    pool = FunctionPool("f", lambda: fleet.start(FN), max_size=3)
    results: list[bool] = []

    # WHEN 12 invocations arrive at once
    def call() -> None:
        results.append(pool.invoke(b"{}").ok)

    threads = [threading.Thread(target=call) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # THEN all succeed (FakeInstance asserts it is never busy) on no more than 3 instances
    assert results == [True] * 12
    assert len(fleet.instances) == 3 and pool.size == 3
    pool.close()
    assert all(i.stopped for i in fleet.instances)


def test_a_crashed_instance_is_replaced() -> None:
    # GIVEN an instance whose invoke raises (the container died)
    fleet = FakeFleet()
    pool = FunctionPool("f", lambda: fleet.start(FN), max_size=1)
    pool.warm()
    first = fleet.instances[0]
    first.crashed = True
    # WHEN invoked
    result = pool.invoke(b"{}")
    # THEN the result is a Runtime.ExitError, the instance is stopped, and the next invoke gets a new one
    assert not result.ok and result.error_type == "Runtime.ExitError"
    assert first.stopped
    assert pool.invoke(b"{}").ok and len(fleet.instances) == 2


def test_start_failure_is_an_init_error() -> None:
    def start() -> Any:
        raise RuntimeError("image missing")

    pool = FunctionPool("f", start, max_size=1)
    result = pool.invoke(b"{}")
    assert not result.ok and result.error_type == "Runtime.InitError" and pool.size == 0


def test_rie_timeout_text_becomes_a_sandbox_timeout_error() -> None:
    # GIVEN an instance answering like RIE does when the function runs past its timeout
    fleet = FakeFleet()
    pool = FunctionPool("f", lambda: fleet.start(FN), max_size=1)
    pool.warm()
    inst = fleet.instances[0]
    inst.invoke = lambda payload, timeout_s=None: FakeResult(True, b"Task timed out after 3.00 seconds")  # type: ignore[method-assign]
    # WHEN invoked THEN it is a function error, and the instance is not reused
    result = pool.invoke(b"{}")
    assert not result.ok and result.error_type == "Sandbox.Timedout"
    assert result.error_message == "Task timed out after 3.00 seconds"
    assert inst.stopped
