"""In-process stand-ins for RIE instances, so the runner's glue can be tested without Docker or RIE."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localrun.model import Function


@dataclass(frozen=True)
class FakeResult:
    ok: bool
    body: bytes
    error_type: str | None = None
    error_message: str | None = None
    duration_ms: float = 0.0


Behaviour = Callable[[Function, Any], Any]


def default_behaviour(fn: Function, event: Any) -> Any:  # noqa: ARG001 - the Behaviour signature
    """Fails on ``{"pass": false}`` anywhere in the event's top level or detail; echoes otherwise."""
    text = json.dumps(event)
    if '"pass": false' in text:
        raise ValueError("pass was false")
    if isinstance(event, dict) and "httpMethod" in event:
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(
                {"path": event["path"], "resource": event["resource"], "pathParameters": event["pathParameters"]}
            ),
        }
    return {"statusCode": 200, "reponse": "Hello Lambda"}


@dataclass
class FakeInstance:
    fn: Function
    behaviour: Behaviour
    calls: list[Any]
    url: str = "fake://"
    busy: bool = False
    stopped: bool = False
    crashed: bool = False  # set to make the next invoke fail like a dead container
    lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, payload: bytes, timeout_s: float | None = None) -> FakeResult:  # noqa: ARG002
        if self.crashed:
            raise ConnectionError("instance gone")
        with self.lock:
            assert not self.busy, "an invoke reached a busy instance"
            self.busy = True
        try:
            event = json.loads(payload)
            self.calls.append(event)
            start = time.monotonic()
            try:
                out = self.behaviour(self.fn, event)
            except Exception as exc:
                body = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []})
                return FakeResult(False, body.encode(), type(exc).__name__, str(exc))
            return FakeResult(True, json.dumps(out).encode(), duration_ms=(time.monotonic() - start) * 1000)
        finally:
            self.busy = False

    def stop(self) -> None:
        self.stopped = True


@dataclass
class FakeFleet:
    behaviour: Behaviour = default_behaviour
    calls: dict[str, list[Any]] = field(default_factory=dict)
    instances: list[FakeInstance] = field(default_factory=list)

    def start(self, fn: Function) -> FakeInstance:
        inst = FakeInstance(fn, self.behaviour, self.calls.setdefault(fn.name, []))
        self.instances.append(inst)
        return inst
