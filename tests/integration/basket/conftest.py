"""Basket handler and adapter tests against moto (in-process ``mock_aws``)."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lambda_common import aws

# Settings are read when a handler module is imported, so they are set before any test module imports one.
os.environ.setdefault("BASKET_TABLE_NAME", "basket-test")
os.environ.setdefault("PRODUCT_TABLE_NAME", "product-test")
os.environ.setdefault("EVENT_BUS_NAME", "swn-test-bus")
os.environ.setdefault("IDEMPOTENCY_TABLE_NAME", "idempotency-test")

NO_CONTEXT: Any = None  # the handlers ignore the Lambda context object

EVENTS_DIR = Path(__file__).parents[3] / "services" / "basket" / "events"
PHONE = "1b8f2d3e-7c1a-4f0e-9a55-0c2d7a6b9e11"  # the product the sample events use
CASE = "7d1c5a9e-3b2f-4e8d-a6c0-5f4e3d2c1b0a"


def _clear_caches() -> None:
    from basket.handlers import api, consume_price_changed

    api.basket_service.cache_clear()
    api.checkout_service.cache_clear()
    consume_price_changed.get_baskets.cache_clear()


@pytest.fixture
def aws_env(moto_aws: None) -> Iterator[None]:
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def tables(aws_env: None) -> dict[str, Any]:
    """The basket and idempotency tables, and a product table holding PHONE (950.40) and CASE (19.99)."""
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
    idempotency = dynamodb.create_table(
        TableName=os.environ["IDEMPOTENCY_TABLE_NAME"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    product.put_item(Item={"id": PHONE, "name": "IPhone X", "price": Decimal("950.40"), "category": "Phone"})
    product.put_item(Item={"id": CASE, "name": "Phone case", "price": Decimal("19.99"), "category": "Accessory"})
    return {"basket": basket, "product": product, "idempotency": idempotency}


Drain = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def bus(aws_env: None, capture_events: Callable[[dict[str, Any]], Drain]) -> Drain:
    """The event bus, with a rule copying CheckoutBasket events to a queue; returns a function draining it."""
    return capture_events({"source": ["com.swn.basket.checkoutbasket"], "detail-type": ["CheckoutBasket"]})


@pytest.fixture
def sample() -> Callable[[str], dict[str, Any]]:
    """A shipped sample event (services/basket/events/NAME)."""

    def load(name: str) -> dict[str, Any]:
        event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
        return event

    return load


@pytest.fixture
def api_event(
    make_api_event: Callable[..., dict[str, Any]], claims_for: Callable[..., dict[str, str]]
) -> Callable[..., dict[str, Any]]:
    """Build an API Gateway REST (v1) proxy event from the shipped sample, as the prod stage delivers it.

    Signed in as the basket's owner (the ``userName`` of the path or body) unless ``claims`` names someone else.
    """
    template = json.loads((EVENTS_DIR / "get-basket.json").read_text())

    def build(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body = kwargs.get("body")
        owner = body.get("userName") if isinstance(body, dict) else path.removeprefix("/basket/")
        if "claims" not in kwargs and isinstance(owner, str) and owner and "/" not in owner:
            kwargs["claims"] = claims_for(owner)
        return make_api_event(template, method, path, **kwargs)

    return build


Response = tuple[int, Any, dict[str, str]]  # as tests/integration/conftest.py's call_api returns


@pytest.fixture
def invoke(tables: dict[str, Any], call_api: Callable[..., Response]) -> Callable[[dict[str, Any]], Response]:
    """Invoke the API handler as the runtime would and decode its proxy response: (status, body, headers)."""
    from basket.handlers.api import handler

    return functools.partial(call_api, handler)
