"""Basket handler and adapter tests against moto (in-process ``mock_aws``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lambda_common import aws
from moto import mock_aws

# Settings are read when a handler module is imported, so they are set before any test module imports one.
os.environ.setdefault("BASKET_TABLE_NAME", "basket-test")
os.environ.setdefault("PRODUCT_TABLE_NAME", "product-test")
os.environ.setdefault("EVENT_BUS_NAME", "swn-test-bus")

NO_CONTEXT: Any = None  # the handlers ignore the Lambda context object

EVENTS_DIR = Path(__file__).parents[3] / "services" / "basket" / "events"
PHONE = "1b8f2d3e-7c1a-4f0e-9a55-0c2d7a6b9e11"  # the product the sample events use
CASE = "7d1c5a9e-3b2f-4e8d-a6c0-5f4e3d2c1b0a"


def _clear_caches() -> None:
    from basket.handlers import api, consume_price_changed

    api.get_baskets.cache_clear()
    consume_price_changed.get_baskets.cache_clear()


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
def tables(aws_env: None) -> dict[str, Any]:
    """The basket table, and a product table holding PHONE (950.40) and CASE (19.99)."""
    dynamodb = aws.resource("dynamodb")
    basket = dynamodb.create_table(
        TableName=os.environ["BASKET_TABLE_NAME"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "userName", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "userName", "AttributeType": "S"}],
    )
    product = dynamodb.create_table(
        TableName=os.environ["PRODUCT_TABLE_NAME"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    product.put_item(Item={"id": PHONE, "name": "IPhone X", "price": Decimal("950.40"), "category": "Phone"})
    product.put_item(Item={"id": CASE, "name": "Phone case", "price": Decimal("19.99"), "category": "Accessory"})
    return {"basket": basket, "product": product}


@pytest.fixture
def bus(aws_env: None) -> Callable[[], list[dict[str, Any]]]:
    """The event bus, with a rule copying CheckoutBasket events to a queue; returns a function draining it."""
    events = aws.client("events")
    sqs = aws.client("sqs")
    name = os.environ["EVENT_BUS_NAME"]
    events.create_event_bus(Name=name)
    queue_url = sqs.create_queue(QueueName="captured")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["com.swn.basket.checkoutbasket"], "detail-type": ["CheckoutBasket"]}
    events.put_rule(Name="checkout", EventBusName=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="checkout", EventBusName=name, Targets=[{"Id": "q", "Arn": queue_arn}])

    def drain() -> list[dict[str, Any]]:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    return drain


@pytest.fixture
def sample() -> Callable[[str], dict[str, Any]]:
    """A shipped sample event (services/basket/events/NAME)."""

    def load(name: str) -> dict[str, Any]:
        event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
        return event

    return load


@pytest.fixture
def api_event() -> Callable[..., dict[str, Any]]:
    """Build an API Gateway REST (v1) proxy event from the shipped sample, as the prod stage delivers it."""
    template = json.loads((EVENTS_DIR / "get-basket.json").read_text())

    def build(method: str, path: str, *, body: Any = None, resource: str | None = None) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(json.dumps(template))
        event.update(
            httpMethod=method,
            path=path,
            resource=resource or path,
            pathParameters=None,
            body=body if body is None or isinstance(body, str) else json.dumps(body),
        )
        if body is not None:
            event["headers"]["Content-Type"] = "application/json"
            event["multiValueHeaders"]["Content-Type"] = ["application/json"]
        event["requestContext"].update(
            httpMethod=method, resourcePath=event["resource"], path=f"/prod{path}", requestId=f"req-{method}-{path}"
        )
        return event

    return build


Response = tuple[int, Any, dict[str, str]]


@pytest.fixture
def invoke(tables: dict[str, Any]) -> Callable[[dict[str, Any]], Response]:
    """Invoke the API handler as the runtime would and decode its proxy response: (status, body, headers)."""
    from basket.handlers.api import handler

    def call(event: dict[str, Any]) -> Response:
        response = handler(event, NO_CONTEXT)
        body = response.get("body") or ""
        decoded = json.loads(body) if body[:1] in ("[", "{") else body
        return response["statusCode"], decoded, response["headers"]

    return call
