"""Ordering handler and adapter tests against moto (in-process ``mock_aws``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lambda_common import aws
from moto import mock_aws

# Settings are read when a handler module is imported, so they are set before any test module imports one.
os.environ.setdefault("ORDER_TABLE_NAME", "order-test")

NO_CONTEXT: Any = None  # the handlers ignore the Lambda context object

EVENTS_DIR = Path(__file__).parents[3] / "services" / "ordering" / "events"


def _clear_caches() -> None:
    from ordering.handlers import api, consume_checkout

    api.get_orders.cache_clear()
    consume_checkout.get_orders.cache_clear()


def _drop_clients_moto_would_miss() -> None:
    """The process-wide boto3 clients are reused across tests (creating them is the slow part), unless another
    test left them bound to a custom endpoint, which moto does not intercept."""
    endpoints = (aws.resource("dynamodb").meta.client.meta.endpoint_url, aws.client("events").meta.endpoint_url)
    if not all(url.endswith(".amazonaws.com") for url in endpoints):
        aws.client.cache_clear()
        aws.resource.cache_clear()
        aws._session.cache_clear()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL") or n == "AWS_PROFILE"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        _clear_caches()
        _drop_clients_moto_would_miss()
        yield
    _clear_caches()


@pytest.fixture
def order_table(aws_env: None) -> Any:
    return aws.resource("dynamodb").create_table(
        TableName=os.environ["ORDER_TABLE_NAME"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "userName", "KeyType": "HASH"},
            {"AttributeName": "orderDate", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "userName", "AttributeType": "S"},
            {"AttributeName": "orderDate", "AttributeType": "S"},
        ],
    )


@pytest.fixture
def sample() -> Callable[[str], dict[str, Any]]:
    """A shipped sample event (services/ordering/events/NAME)."""

    def load(name: str) -> dict[str, Any]:
        event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
        return event

    return load


@pytest.fixture
def checkout_event(sample: Callable[[str], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A CheckoutBasket EventBridge event (from the sample SQS event) with ``data`` fields overridden."""
    template = json.loads(sample("sqs-checkout.json")["Records"][0]["body"])

    def build(**data: Any) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(json.dumps(template))
        event["detail"]["data"].update(data)
        return event

    return build


@pytest.fixture
def sqs_event(sample: Callable[[str], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """An SQS event as the event source mapping delivers it, one record per body (dicts are JSON-encoded)."""
    record_template = sample("sqs-checkout.json")["Records"][0]

    def build(*bodies: Any) -> dict[str, Any]:
        records = []
        for i, body in enumerate(bodies):
            record = dict(record_template, messageId=f"msg-{i}", receiptHandle=f"handle-{i}")
            record["body"] = body if isinstance(body, str) else json.dumps(body)
            records.append(record)
        return {"Records": records}

    return build


@pytest.fixture
def consume(order_table: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    from ordering.handlers.consume_checkout import handler

    def call(event: dict[str, Any]) -> dict[str, Any]:
        return dict(handler(event, NO_CONTEXT))

    return call


@pytest.fixture
def api_event(sample: Callable[[str], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Build an API Gateway REST (v1) proxy event from the shipped sample, as the prod stage delivers it."""
    template = sample("list-orders.json")

    def build(path: str, *, query: dict[str, str] | None = None, method: str = "GET") -> dict[str, Any]:
        event: dict[str, Any] = json.loads(json.dumps(template))
        event.update(
            httpMethod=method,
            path=path,
            queryStringParameters=query,
            multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
        )
        event["requestContext"].update(httpMethod=method, path=f"/prod{path}", requestId=f"req-{path}")
        return event

    return build


Response = tuple[int, Any, dict[str, str]]


@pytest.fixture
def invoke(order_table: Any) -> Callable[[dict[str, Any]], Response]:
    """Invoke the API handler as the runtime would and decode its proxy response: (status, body, headers)."""
    from ordering.handlers.api import handler

    def call(event: dict[str, Any]) -> Response:
        response = handler(event, NO_CONTEXT)
        body = response.get("body") or ""
        decoded = json.loads(body) if body[:1] in ("[", "{") else body
        return response["statusCode"], decoded, response["headers"]

    return call
