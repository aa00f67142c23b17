"""Fixtures shared by the integration tests: moto in-process, API Gateway proxy events, proxy responses."""

from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from lambda_common import aws
from lambda_common.errors import InvalidInputError
from moto import mock_aws
from ordering.domain.orders import DATE_PREFIX, date_filter

NO_CONTEXT: Any = None  # the handlers ignore the Lambda context object

Response = tuple[int, Any, dict[str, str]]


def _drop_clients_moto_would_miss() -> None:
    """The process-wide clients are reused across tests (creating them is the slow part), unless another test left
    them bound to a custom endpoint, which moto does not intercept."""
    endpoints = (aws.client("dynamodb").meta.endpoint_url, aws.client("events").meta.endpoint_url)
    if not all(url.endswith(".amazonaws.com") for url in endpoints):
        aws.reset()


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every AWS call of the test goes to moto in-process: no endpoint overrides, dummy credentials."""
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL") or n == "AWS_PROFILE"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        _drop_clients_moto_would_miss()
        yield


def id_claims(user: str, *groups: str) -> dict[str, str]:
    """The claims API Gateway's Cognito authorizer passes for ``user``'s ID token (every value a string)."""
    claims = {
        "sub": f"sub-{user}",
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST",
        "aud": "testclient",
        "token_use": "id",
        "cognito:username": user,
    }
    if groups:
        claims["cognito:groups"] = ",".join(groups)
    return claims


@pytest.fixture
def claims_for() -> Callable[..., dict[str, str]]:
    """``claims_for(user, *groups)``: an authorizer's claims for a signed-in user."""
    return id_claims


@pytest.fixture
def atomic_dynamodb(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB evaluates a condition and writes atomically; moto does not under threads (a thread switch between
    the check and the write would let two conditional writes both succeed). Races tested with threads need the
    real guarantee, so moto's item writes are serialised here."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def serialised(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, serialised)


Drain = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def capture_events(moto_aws: None) -> Callable[[dict[str, Any]], Drain]:
    """``capture_events(pattern)``: creates the service's bus ($EVENT_BUS_NAME) if needed, with a rule copying the
    events matching ``pattern`` to a queue of its own; returns a function draining that queue (event envelopes)."""
    events, sqs = aws.client("events"), aws.client("sqs")
    made = 0

    def capture(pattern: dict[str, Any]) -> Drain:
        nonlocal made
        made += 1
        bus = os.environ["EVENT_BUS_NAME"]
        if bus not in {b["Name"] for b in events.list_event_buses()["EventBuses"]}:
            events.create_event_bus(Name=bus)
        url = sqs.create_queue(QueueName=f"captured{made}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=f"capture{made}", EventBusName=bus, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=f"capture{made}", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

        def drain() -> list[dict[str, Any]]:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            return [json.loads(m["Body"]) for m in got]

        return drain

    return capture


@pytest.fixture
def make_api_event() -> Callable[..., dict[str, Any]]:
    """Build an API Gateway REST (v1) proxy event from a shipped sample, as the prod stage delivers it.

    The caller is the sample's (``requestContext.authorizer``), or ``claims``; ``anonymous`` drops it, as for a
    public route.
    """

    def build(
        template: dict[str, Any],
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        resource: str | None = None,
        path_parameters: dict[str, str] | None = None,
        stage_in_path: bool = True,
        claims: dict[str, str] | None = None,
        anonymous: bool = False,
    ) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(json.dumps(template))
        event.update(
            httpMethod=method,
            path=path,
            resource=resource or path,
            pathParameters=path_parameters,
            queryStringParameters=query,
            multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
            body=body if body is None or isinstance(body, str) else json.dumps(body),
        )
        if body is not None:
            event["headers"]["Content-Type"] = "application/json"
            event["multiValueHeaders"]["Content-Type"] = ["application/json"]
        event["requestContext"].update(
            httpMethod=method,
            resourcePath=event["resource"],
            path=f"/prod{path}" if stage_in_path else path,
            requestId=f"req-{method}-{path}",
        )
        if anonymous:
            event["requestContext"].pop("authorizer", None)
        elif claims is not None:
            event["requestContext"]["authorizer"] = {"claims": claims}
        return event

    return build


@pytest.fixture
def call_api() -> Callable[[Callable[[dict[str, Any], Any], dict[str, Any]], dict[str, Any]], Response]:
    """Invoke a Lambda handler as the runtime would and decode its proxy response: (status, body, headers)."""

    def call(handler: Callable[[dict[str, Any], Any], dict[str, Any]], event: dict[str, Any]) -> Response:
        response = handler(event, NO_CONTEXT)
        body = response.get("body") or ""
        decoded = json.loads(body) if body[:1] in ("[", "{") else body
        return response["statusCode"], decoded, response["headers"]

    return call


# --- schemathesis: shared by the three API fuzz tests (test_*_fuzz.py) ------------------------------------------
FUZZ_REQUESTS: Counter[str] = Counter()
_DATE_PREFIX = re.compile(DATE_PREFIX)
STACK_TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/')


@schemathesis.check
def no_stack_trace(ctx: Any, response: Any, case: Any) -> bool | None:
    """No answer, error or not, carries a Python stack trace or a source path."""
    text = response.text or ""
    if any(marker in text for marker in STACK_TRACE_MARKERS):
        raise AssertionError(f"{case.operation.label} answered with a stack trace")
    return None


@schemathesis.hook
def after_call(ctx: Any, case: Any, response: Any) -> None:
    FUZZ_REQUESTS[case.operation.path.split("/")[1]] += 1


def _breaks_a_documented_cross_parameter_rule(query: dict[str, Any]) -> bool:
    """Rules the OpenAPI documents state in words (one parameter's schema cannot say them), tested on their own in
    test_*_api.py: a nextToken only comes from a previous page of the same query; orderDate and from/to exclude
    each other; from is not after to."""
    if "nextToken" in query:
        return True
    if query.get("orderDate") is not None and (query.get("from") is not None or query.get("to") is not None):
        return True
    start, end = query.get("from"), query.get("to")
    if isinstance(start, str) and isinstance(end, str) and _DATE_PREFIX.match(start) and _DATE_PREFIX.match(end):
        try:
            date_filter(order_date=None, date_from=start, date_to=end)
        except InvalidInputError:
            return True
    return False


@pytest.fixture
def documented_case() -> Callable[[Any], bool]:
    """For the fuzz tests: False for a case that breaks a cross-parameter rule (hypothesis.assume drops it)."""
    return lambda case: not (case.query and _breaks_a_documented_cross_parameter_rule(case.query))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FUZZ_REQUESTS:
        per_api = ", ".join(f"/{name}: {count}" for name, count in sorted(FUZZ_REQUESTS.items()))
        terminalreporter.write_line(f"schemathesis sent {sum(FUZZ_REQUESTS.values())} requests ({per_api})")
