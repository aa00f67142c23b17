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
    inst.invoke = lambda payload, timeout_s=None, trace_header=None: FakeResult(  # type: ignore[method-assign]
        True, b"Task timed out after 3.00 seconds"
    )
    # WHEN invoked THEN it is a function error, and the instance is not reused
    result = pool.invoke(b"{}")
    assert not result.ok and result.error_type == "Sandbox.Timedout"
    assert result.error_message == "Task timed out after 3.00 seconds"
    assert inst.stopped


def test_recycle_lets_an_invocation_in_flight_finish_and_never_hands_its_instance_out_again() -> None:
    # GIVEN a warm instance and one busy with a slow invocation
    started = threading.Event()
    release = threading.Event()

    def behaviour(fn: Function, event: Any) -> Any:
        if event.get("slow"):
            started.set()
            release.wait(5)
        return {"ok": True}

    fleet = FakeFleet(behaviour)
    pool = FunctionPool("f", lambda: fleet.start(FN), max_size=2)
    pool.warm(2)
    idle_before, busy_before = fleet.instances
    in_flight: list[bool] = []
    t = threading.Thread(target=lambda: in_flight.append(pool.invoke(b'{"slow": true}').ok))
    t.start()
    assert started.wait(5)

    # WHEN the pool is recycled (the code changed) while that invocation runs
    stopped_now = pool.recycle()

    # THEN the idle instance stopped at once, the busy one is untouched until its invocation ends
    assert stopped_now == 1
    stopped_idle = [i for i in (idle_before, busy_before) if i.stopped]
    assert len(stopped_idle) == 1
    # AND the next invocation runs on a new instance
    assert pool.invoke(b"{}").ok
    assert len(fleet.instances) == 3
    # AND the invocation in flight finishes (once) on the old instance, which then stops
    release.set()
    t.join(5)
    assert in_flight == [True]
    assert idle_before.stopped and busy_before.stopped
    assert sum(1 for calls in fleet.calls.values() for e in calls if e.get("slow")) == 1
    assert pool.size == 1 and not fleet.instances[2].stopped
    pool.close()


def test_an_instance_starting_during_a_recycle_is_not_reused() -> None:
    # GIVEN an instance whose start is under way when the code changes
    fleet = FakeFleet()
    gate = threading.Event()
    pool: FunctionPool

    def start() -> Any:
        inst = fleet.start(FN)
        if len(fleet.instances) == 1:
            pool.recycle()  # the reload lands while the first instance starts
            gate.set()
        return inst

    pool = FunctionPool("f", start, max_size=1)
    # WHEN it serves the invocation it was started for
    assert pool.invoke(b"{}").ok
    # THEN it is stopped afterwards, and the next invocation gets a fresh one
    assert gate.is_set() and fleet.instances[0].stopped
    assert pool.invoke(b"{}").ok and len(fleet.instances) == 2
    pool.close()
