"""Test helpers for the local runner: in-process stand-ins for RIE instances (unit tests of the glue), and
helpers that drive a running topology from outside (tests/e2e). Importable from every test: tests/ is on sys.path."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from localrun.model import Function


@dataclass(frozen=True)
class FakeResult:
    ok: bool
    body: bytes
    error_type: str | None = None
    error_message: str | None = None
    duration_ms: float = 0.0
    logs: tuple[str, ...] = ()


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
    trace_headers: list[str | None] = field(default_factory=list)  # X-Amzn-Trace-Id of each invocation
    lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, payload: bytes, timeout_s: float | None = None, trace_header: str | None = None) -> FakeResult:
        self.trace_headers.append(trace_header)
        if self.crashed or self.stopped:
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
            if timeout_s is not None and time.monotonic() - start > timeout_s:  # like the HTTP call timing out
                raise TimeoutError(f"no answer within {timeout_s} s")
            if self.stopped:  # killed while the function ran: its side effects stay, its answer is lost
                raise ConnectionError("instance killed mid-invocation")
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


# -- driving a running topology from outside (tests/e2e) ------------------------------------------------------
@dataclass
class TopologyUnderTest:
    """The topology the e2e session started (``localrun.launch.spawn``), seen from outside."""

    endpoint: str
    api: str
    stacks: list[str]
    missing: dict[str, str]
    log: list[str] = field(default_factory=list)
    console: str | None = None  # the console's URL, when it runs

    def client(self, service: str) -> Any:
        import boto3
        from localrun.aws import DUMMY_CREDENTIALS
        from localrun.model import REGION

        return boto3.client(  # type: ignore[call-overload]
            service, endpoint_url=self.endpoint, region_name=REGION, **DUMMY_CREDENTIALS
        )

    def token(self, user: str, *, admin: bool = False, pool: str | None = None) -> str:
        """An ID token of ``user``, created (or updated) in the user pool named by ``pool`` (a part of its name; may
        be left out when there is one pool); in ``admins`` with ``admin``."""
        from localrun.aws import EndpointClients
        from localrun.shortcuts import DEFAULT_PASSWORD, Shortcuts

        return Shortcuts(EndpointClients(self.endpoint)).user(user, pool, admin, None, DEFAULT_PASSWORD)

    def require(self, stack: str) -> None:
        import pytest

        if stack not in self.stacks:
            pytest.skip(f"{stack} is not running: {self.missing.get(stack, 'not selected')}")

    def queue_url(self, *parts: str) -> str:
        """The one queue whose name contains every part (names hold the stack name and the logical id)."""
        urls = self.client("sqs").list_queues().get("QueueUrls", [])
        found = [u for u in urls if all(p in u.rsplit("/", 1)[1] for p in parts)]
        assert len(found) == 1, f"queues matching {parts}: {found}"
        return str(found[0])

    def name_of(self, names: list[str], *parts: str) -> str:
        found = [n for n in names if all(p in n for p in parts)]
        assert len(found) == 1, f"names matching {parts}: {found}"
        return found[0]


def wait_for(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2) -> Any:
    """Poll until ``check`` returns something truthy (no timing assertion: the timeout only bounds a hang)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def drain(sqs: Any, url: str, want: int, timeout: float = 90.0) -> list[dict[str, Any]]:
    """Receive (and delete) until ``want`` messages arrived or the timeout passed."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        resp = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        for m in resp.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def watch_bus(topology: TopologyUnderTest, bus: str, name: str, pattern: dict[str, Any] | None = None) -> str:
    """The seed's way to watch a bus: a catch-all rule to a queue, created at runtime through the endpoint."""
    sqs, events = topology.client("sqs"), topology.client("events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern or {"source": [{"prefix": ""}]}))
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "watch", "Arn": arn}])
    return str(url)


def call_api(
    api: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Any, Message]:
    """One JSON request to the local REST API at ``api`` (with a Cognito ID token when given): status, JSON body
    (None when empty) and the response headers (looked up in any case); an error status is an answer, not raised."""
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"{api}{path}", data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback
            raw, status, got = resp.read(), resp.status, resp.headers
    except urllib.error.HTTPError as err:
        raw, status, got = err.read(), err.code, err.headers
    return status, json.loads(raw) if raw else None, got
