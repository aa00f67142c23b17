"""Ordering handler and adapter tests against moto (in-process ``mock_aws``)."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lambda_common import aws

# Settings are read when a handler module is imported, so they are set before any test module imports one.
os.environ.setdefault("ORDER_TABLE_NAME", "order-test")

NO_CONTEXT: Any = None  # the handlers ignore the Lambda context object

EVENTS_DIR = Path(__file__).parents[3] / "services" / "ordering" / "events"


def _clear_caches() -> None:
    from ordering.handlers import api, consume_checkout

    api.order_book.cache_clear()
    consume_checkout.get_orders.cache_clear()


@pytest.fixture
def aws_env(moto_aws: None) -> Iterator[None]:
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def order_table(aws_env: None) -> Any:
    return aws.resource("dynamodb").create_table(
        TableName=os.environ["ORDER_TABLE_NAME"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "userName", "KeyType": "HASH"},
            {"AttributeName": "orderKey", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "userName", "AttributeType": "S"},
            {"AttributeName": "orderKey", "AttributeType": "S"},
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
def api_event(
    make_api_event: Callable[..., dict[str, Any]], sample: Callable[[str], dict[str, Any]]
) -> Callable[..., dict[str, Any]]:
    """Build an API Gateway REST (v1) proxy event from the shipped sample, as the prod stage delivers it."""
    template = sample("list-orders.json")

    def build(path: str, *, query: dict[str, str] | None = None, method: str = "GET") -> dict[str, Any]:
        return make_api_event(template, method, path, query=query)

    return build


Response = tuple[int, Any, dict[str, str]]  # as tests/integration/conftest.py's call_api returns


@pytest.fixture
def invoke(order_table: Any, call_api: Callable[..., Response]) -> Callable[[dict[str, Any]], Response]:
    """Invoke the API handler as the runtime would and decode its proxy response: (status, body, headers)."""
    from ordering.handlers.api import handler

    return functools.partial(call_api, handler)
