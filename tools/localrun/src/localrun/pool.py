"""A pool of warm RIE instances per function. An invocation never reaches a busy instance."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Result(Protocol):
    """What one invocation returned (``localrun.instance.InvokeResult`` has this shape)."""

    @property
    def ok(self) -> bool: ...

    @property
    def body(self) -> bytes: ...

    @property
    def error_type(self) -> str | None: ...

    @property
    def error_message(self) -> str | None: ...

    @property
    def duration_ms(self) -> float: ...

    @property
    def logs(self) -> tuple[str, ...]: ...


class Instance(Protocol):
    url: str

    def invoke(self, payload: bytes, timeout_s: float | None = None, trace_header: str | None = None) -> Result: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Failure:
    """A result the pool makes up when the instance itself failed (crashed, unreachable, would not start)."""

    body: bytes
    error_type: str | None
    error_message: str | None
    ok: bool = False
    duration_ms: float = 0.0
    logs: tuple[str, ...] = ()


@dataclass
class InvokeInfo:
    """What the pool tells its caller about one invocation besides the result."""

    trace_header: str | None = None  # in: X-Amzn-Trace-Id for the function's runtime
    cold: bool = False  # out: the instance was started for this invocation


class PoolClosedError(RuntimeError):
    pass


class NoFreeInstanceError(RuntimeError):
    """Every instance stayed busy for as long as the caller could wait (Lambda would throttle the invocation)."""


class FunctionPool:
    """Hands out idle instances; starts a new one (up to ``max_size``) when none is idle; else waits."""

    def __init__(self, name: str, start: Callable[[], Instance], max_size: int, idle_ttl_s: float = 300.0) -> None:
        self.name = name
        self._start = start
        self.max_size = max(1, max_size)
        self._idle: list[tuple[Instance, float]] = []
        self._instances: dict[int, Instance] = {}
        self._size = 0  # running + starting
        self._cv = threading.Condition()
        self._closed = False
        self._idle_ttl_s = idle_ttl_s
        self.started = 0  # instances started over the pool's life (cold starts)
        # Hot reload: an instance started before the last recycle() runs old code and is never handed out again.
        self._generation = 0
        self._born: dict[int, int] = {}  # id(instance) -> the generation it was started in
        self._used: set[int] = set()  # instances that ran an invocation (the others are cold)
        self.busy = 0

    @property
    def size(self) -> int:
        return self._size

    @property
    def idle(self) -> int:
        return len(self._idle)

    def warm(self, count: int = 1) -> None:
        """Start ``count`` instances now, so the first invocation is not a cold start."""
        for _ in range(count):
            with self._cv:
                if self._size >= self.max_size:
                    return
                self._size += 1
            inst = self._spawn()
            self.release(inst)

    def _spawn(self) -> Instance:
        with self._cv:
            generation = self._generation  # taken before the start: a reload during it makes the instance stale
        try:
            inst = self._start()
        except BaseException:
            with self._cv:
                self._size -= 1
                self._cv.notify()
            raise
        with self._cv:
            self.started += 1
            self._instances[id(inst)] = inst
            self._born[id(inst)] = generation
            closed = self._closed
        if closed:
            self.release(inst, healthy=False)
            raise PoolClosedError(self.name)
        return inst

    def acquire(self, wait_s: float | None = None) -> Instance:
        """An idle instance, or a new one; when all ``max_size`` are busy, wait for one (at most ``wait_s``)."""
        deadline = None if wait_s is None else time.monotonic() + wait_s
        with self._cv:
            while True:
                if self._closed:
                    raise PoolClosedError(self.name)
                if self._idle:
                    inst, _ = self._idle.pop()  # most recently used: the warmest
                    return inst
                if self._size < self.max_size:
                    self._size += 1
                    break
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise NoFreeInstanceError(
                        f"{self.name}: all {self.max_size} instances stayed busy for {wait_s:.1f} s"
                    )
                self._cv.wait(left)
        return self._spawn()

    def release(self, inst: Instance, healthy: bool = True) -> None:
        with self._cv:
            current = self._born.get(id(inst)) == self._generation
            if healthy and current and not self._closed:
                self._idle.append((inst, time.monotonic()))
                self._cv.notify()
                return
            self._forget(inst)
            self._cv.notify()
        _quiet_stop(inst)

    def _forget(self, inst: Instance) -> None:
        self._size -= 1
        self._instances.pop(id(inst), None)
        self._born.pop(id(inst), None)
        self._used.discard(id(inst))

    def recycle(self) -> int:
        """Hot reload: no instance started before now serves another invocation. Idle ones stop now; busy ones
        finish their invocation on the code they loaded and stop when released. Returns how many stopped now."""
        with self._cv:
            self._generation += 1
            stale = [inst for inst, _ in self._idle]
            self._idle.clear()
            for inst in stale:
                self._forget(inst)
            self._cv.notify_all()
        for inst in stale:
            _quiet_stop(inst)
        return len(stale)

    def invoke(
        self,
        payload: bytes,
        timeout_s: float | None = None,
        kill_after_s: float | None = None,
        wait_s: float | None = None,
        info: InvokeInfo | None = None,
    ) -> Result:
        """Invoke on an idle instance, waiting at most ``wait_s`` for one (the wait counts against ``timeout_s``).
        ``kill_after_s`` (fault injection) stops the instance that long into the invocation and reports the crash,
        whether or not the function got to finish."""
        started = time.monotonic()
        try:
            inst = self.acquire(wait_s)
        except (PoolClosedError, NoFreeInstanceError):
            raise
        except Exception as exc:  # the instance would not start: a cold-start failure, like Runtime.ExitError
            return Failure(_error_body("Runtime.InitError", str(exc)), "Runtime.InitError", str(exc))
        info = info or InvokeInfo()
        with self._cv:
            info.cold = id(inst) not in self._used
            self._used.add(id(inst))
            self.busy += 1
        try:
            return self._invoke_on(inst, payload, timeout_s, started, kill_after_s, wait_s, info)
        finally:
            with self._cv:
                self.busy -= 1

    def _invoke_on(
        self,
        inst: Instance,
        payload: bytes,
        timeout_s: float | None,
        started: float,
        kill_after_s: float | None,
        wait_s: float | None,
        info: InvokeInfo,
    ) -> Result:
        if timeout_s is not None and wait_s is not None:
            timeout_s = max(0.1, timeout_s - (time.monotonic() - started))
        if kill_after_s is not None:
            return self._invoke_and_kill(inst, payload, timeout_s, kill_after_s)
        try:
            result = inst.invoke(payload, timeout_s, info.trace_header)
        except Exception as exc:  # the instance died under us: discard it, report like Lambda does
            self.release(inst, healthy=False)
            message = f"RequestId: instance failed: {exc}"
            return Failure(_error_body("Runtime.ExitError", message), "Runtime.ExitError", message)
        result = normalise(result)
        # A timed-out or crashed runtime is not reused: RIE resets it, a new instance is cheaper to trust.
        healthy = result.ok or (result.error_type or "") not in ("Runtime.ExitError", "Sandbox.Timedout", "Timeout")
        self.release(inst, healthy=healthy)
        return result

    def _invoke_and_kill(self, inst: Instance, payload: bytes, timeout_s: float | None, kill_after_s: float) -> Result:
        timer = threading.Timer(kill_after_s, _quiet_stop, args=(inst,))
        timer.start()
        try:
            inst.invoke(payload, timeout_s)
        except Exception:  # noqa: S110 - the kill may land mid-invocation; the outcome is the same crash
            pass
        finally:
            timer.cancel()
            self.release(inst, healthy=False)
        message = "RequestId: instance killed by fault injection (Runtime exited)"
        return Failure(_error_body("Runtime.ExitError", message), "Runtime.ExitError", message)

    def reap_idle(self) -> int:
        """Stop instances idle for longer than the TTL, keeping one warm."""
        victims: list[Instance] = []
        now = time.monotonic()
        with self._cv:
            keep = [(i, t) for i, t in self._idle if now - t < self._idle_ttl_s]
            stale = [(i, t) for i, t in self._idle if now - t >= self._idle_ttl_s]
            if not keep and stale:
                keep.append(stale.pop())
            self._idle = keep
            victims = [i for i, _ in stale]
            for inst in victims:
                self._forget(inst)
        for inst in victims:
            _quiet_stop(inst)
        return len(victims)

    def close(self) -> None:
        with self._cv:
            self._closed = True
            idle = list(self._instances.values())  # busy ones too: stopping everything is the point
            self._instances.clear()
            self._born.clear()
            self._idle.clear()
            self._cv.notify_all()
        for inst in idle:
            _quiet_stop(inst)


_TIMED_OUT = re.compile(rb"^Task timed out after [0-9.]+ seconds$")


def normalise(result: Result) -> Result:
    """RIE reports a function timeout as HTTP 200 with a plain-text body; Lambda reports a Sandbox.Timedout error."""
    if result.ok and _TIMED_OUT.match(result.body.strip()):
        message = result.body.strip().decode()
        return Failure(
            _error_body("Sandbox.Timedout", message),
            "Sandbox.Timedout",
            message,
            duration_ms=result.duration_ms,
            logs=result.logs,
        )
    return result


def _quiet_stop(inst: Instance) -> None:
    try:
        inst.stop()
    except Exception:  # noqa: S110 - best effort at shutdown
        pass


def _error_body(error_type: str, message: str) -> bytes:
    import json

    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()
