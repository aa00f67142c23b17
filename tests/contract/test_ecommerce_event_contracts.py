"""Producer and consumer of each e-commerce event agree: what basket publishes ordering can read, and what
product publishes basket can read. Each side owns its own model, so a change on one side fails here first."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from basket.models import events as basket_events
from hypothesis import given, settings
from hypothesis import strategies as st
from lambda_common.envelope import EventMetadata
from ordering.models import events as ordering_events
from product.models import events as product_events

SERVICES = Path(__file__).parents[2] / "services"


def _as_delivered(source: str, detail_type: str, detail: Any) -> dict[str, Any]:
    """The EventBridge event a rule delivers for one PutEvents entry (Detail is the JSON we publish)."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": "000000000000",
        "time": "2026-11-23T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": json.loads(detail.model_dump_json(by_alias=True)),
    }


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s
)
items = st.lists(
    st.builds(
        basket_events.CheckoutItem,
        productId=text,
        productName=text,
        quantity=st.integers(1, 1000),
        color=st.none() | text,
        price=money,
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=50, deadline=None)
@given(items=items, moment=st.datetimes(timezones=st.just(UTC)), card_last4=st.none() | st.from_regex(r"\A[0-9]{4}\Z"))
def test_ordering_reads_every_checkout_basket_publishes(
    items: list[basket_events.CheckoutItem], moment: datetime, card_last4: str | None
) -> None:
    # GIVEN the event basket publishes
    from basket.domain.checkout import checkout_time

    data = basket_events.CheckoutBasket(
        checkoutId="c-1",
        checkoutTime=checkout_time(moment),
        userName="swn",
        firstName="Mehmet",
        lastName="Ozkaya",
        email="m@example.com",
        address="Istanbul",
        paymentMethod="card",
        cardLast4=card_last4,
        items=items,
        totalPrice=sum((i.price * i.quantity for i in items), Decimal(0)),
    )
    detail = basket_events.CheckoutBasketEvent(metadata=EventMetadata(correlationId="req-1"), data=data)
    delivered = _as_delivered(basket_events.CHECKOUT_SOURCE, basket_events.CHECKOUT_DETAIL_TYPE, detail)
    # WHEN ordering reads it from the queue
    from ordering.domain.orders import iso_ms

    read = ordering_events.CheckoutBasketEvent.model_validate_json(json.dumps(delivered))
    # THEN nothing is lost or rounded
    got = read.detail.data
    assert got.checkoutId == "c-1" and read.detail.metadata.correlation_id == "req-1"
    assert iso_ms(got.checkoutTime) == data.checkoutTime
    assert got.totalPrice == data.totalPrice
    assert [(i.productId, i.quantity, i.price, i.color) for i in got.items] == [
        (i.productId, i.quantity, i.price, i.color) for i in items
    ]
    assert got.cardLast4 == card_last4


def test_the_names_agree() -> None:
    assert (
        (basket_events.CHECKOUT_SOURCE, basket_events.CHECKOUT_DETAIL_TYPE)
        == (
            ordering_events.SOURCE,
            ordering_events.DETAIL_TYPE,
        )
        == ("com.swn.basket.checkoutbasket", "CheckoutBasket")
    )
    assert (
        (product_events.SOURCE, product_events.PRICE_CHANGED)
        == (
            basket_events.PRICE_CHANGED_SOURCE,
            basket_events.PRICE_CHANGED_DETAIL_TYPE,
        )
        == ("com.swn.product", "ProductPriceChanged")
    )


@settings(max_examples=50, deadline=None)
@given(old=money, new=money)
def test_basket_reads_every_price_change_product_publishes(old: Decimal, new: Decimal) -> None:
    # GIVEN
    data = product_events.ProductPriceChanged(productId="p-1", oldPrice=old, newPrice=new)
    detail = product_events.PriceChangedEvent(metadata=EventMetadata(), data=data)
    delivered = _as_delivered(product_events.SOURCE, product_events.PRICE_CHANGED, detail)
    # WHEN
    read = basket_events.PriceChangedNotification.model_validate(delivered)
    # THEN
    assert (read.detail.data.productId, read.detail.data.oldPrice, read.detail.data.newPrice) == ("p-1", old, new)
    assert read.changed_at == detail.metadata.created_at


@pytest.mark.parametrize(
    "path",
    sorted((SERVICES / "ordering" / "events").glob("sqs-*.json")),
    ids=lambda p: p.name,
)
def test_the_sample_sqs_events_carry_checkout_basket_events(path: Path) -> None:
    records = json.loads(path.read_text())["Records"]
    parsed = 0
    for record in records:
        try:
            ordering_events.CheckoutBasketEvent.model_validate_json(record["body"])
            parsed += 1
        except ValueError:
            assert "poison" in path.name
    assert parsed >= 1


def test_the_sample_price_change_event_is_what_product_publishes() -> None:
    sample = json.loads((SERVICES / "basket" / "events" / "price-changed.json").read_text())
    product_events.PriceChangedEvent.model_validate(sample["detail"])
    basket_events.PriceChangedNotification.model_validate(sample)
