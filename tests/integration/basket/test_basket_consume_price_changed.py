"""`basket.handlers.consume_price_changed.handler` with EventBridge events, against moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

PHONE = "1b8f2d3e-7c1a-4f0e-9a55-0c2d7a6b9e11"
CASE = "7d1c5a9e-3b2f-4e8d-a6c0-5f4e3d2c1b0a"


@pytest.fixture
def consume(tables: dict[str, Any]) -> Callable[[Any], Any]:
    from basket.handlers.consume_price_changed import handler

    return lambda event: handler(event, None)


@pytest.fixture
def price_changed(sample: Callable[[str], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """The sample event, for ``product`` at ``price``, emitted ``delay`` after now (so after baskets were priced)."""

    def build(product: str = PHONE, price: str = "899.99", delay: timedelta = timedelta(seconds=1)) -> dict[str, Any]:
        event = sample("price-changed.json")
        event["detail"]["data"].update(productId=product, newPrice=price)
        event["detail"]["metadata"]["createdAt"] = (datetime.now(UTC) + delay).isoformat()
        return event

    return build


def _basket(invoke: Callable[..., Any], api_event: Callable[..., Any], user: str, *items: tuple[str, int]) -> None:
    body = {"userName": user, "items": [{"productId": p, "quantity": q} for p, q in items]}
    assert invoke(api_event("POST", "/basket", body=body))[0] == 200


def test_the_new_price_reaches_every_basket_holding_the_product(
    consume: Any, price_changed: Any, invoke: Any, api_event: Any
) -> None:
    # GIVEN
    _basket(invoke, api_event, "ann", (PHONE, 2), (CASE, 1))
    _basket(invoke, api_event, "bob", (PHONE, 1))
    _basket(invoke, api_event, "cid", (CASE, 1))
    # WHEN
    result = consume(price_changed(price="899.99"))
    # THEN
    assert result == {"productId": PHONE, "updatedBaskets": 2}
    ann = invoke(api_event("GET", "/basket/ann"))[1]
    assert [i["price"] for i in ann["items"]] == ["899.99", "19.99"] and ann["totalPrice"] == "1819.97"
    assert invoke(api_event("GET", "/basket/bob"))[1]["totalPrice"] == "899.99"
    assert invoke(api_event("GET", "/basket/cid"))[1]["totalPrice"] == "19.99"


def test_a_redelivered_event_is_harmless(consume: Any, price_changed: Any, invoke: Any, api_event: Any) -> None:
    _basket(invoke, api_event, "ann", (PHONE, 1))
    event = price_changed(price="10.00")
    assert consume(event)["updatedBaskets"] == 1
    assert consume(event)["updatedBaskets"] == 0
    assert invoke(api_event("GET", "/basket/ann"))[1]["totalPrice"] == "10.00"


def test_the_stored_price_stays_an_exact_number(
    consume: Any, price_changed: Any, invoke: Any, api_event: Any, tables: dict[str, Any]
) -> None:
    _basket(invoke, api_event, "ann", (PHONE, 3))
    consume(price_changed(price="0.10"))
    assert tables["basket"].get_item(Key={"userName": "ann"})["Item"]["items"][0]["price"] == Decimal("0.10")


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e["detail"]["data"].update(newPrice="-1"), "detail.data.newPrice"),
        (lambda e: e["detail"]["data"].pop("productId"), "detail.data.productId"),
        (lambda e: e.pop("detail"), "detail: Field required"),
        (lambda e: e.update({"detail-type": "CheckoutBasket"}), "expected ProductPriceChanged"),
        (lambda e: e.update({"source": "someone.else"}), "expected ProductPriceChanged"),
    ],
)
def test_malformed_events_raise_a_clear_error(
    consume: Any, price_changed: Any, mutate: Callable[[dict[str, Any]], Any], reason: str
) -> None:
    from basket.handlers.consume_price_changed import MalformedEventError

    event = price_changed()
    mutate(event)
    with pytest.raises(MalformedEventError, match="malformed ProductPriceChanged event") as info:
        consume(event)
    assert reason in str(info.value)


@pytest.mark.parametrize("event", [None, [], "text", {"hello": "world"}])
def test_events_of_another_shape_raise_a_clear_error(consume: Any, event: Any) -> None:
    from basket.handlers.consume_price_changed import MalformedEventError

    with pytest.raises(MalformedEventError):
        consume(event)


def test_the_shipped_sample_event_parses(consume: Any, sample: Callable[[str], Any]) -> None:
    assert consume(sample("price-changed.json")) == {
        "productId": json.loads(json.dumps(PHONE)),
        "updatedBaskets": 0,
    }
