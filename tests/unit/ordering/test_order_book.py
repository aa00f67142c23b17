"""Ordering rules with an in-memory repository: order identity, dates and query filters."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from lambda_common.errors import InvalidInputError
from ordering.domain.orders import OrderBook, date_filter, iso_ms
from ordering.models.events import CheckoutBasket
from ordering.models.order import DateFilter, Order, OrderPage

RECEIVED = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
CHECKOUT = {
    "checkoutId": "c-1",
    "checkoutTime": "2026-11-23T14:00:00.123456+02:00",
    "userName": "swn",
    "firstName": "Mehmet",
    "lastName": "Ozkaya",
    "email": "m@example.com",
    "address": "Istanbul",
    "paymentMethod": "card",
    "cardLast4": "4242",
    "items": [{"productId": "p", "productName": "Phone", "quantity": 2, "price": "950.40"}],
    "totalPrice": "1900.80",
}


class FakeOrders:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Order] = {}
        self.queries: list[tuple[str, DateFilter]] = []

    def add(self, order: Order) -> bool:
        key = (order.userName, order.order_key)
        if key in self.items:
            return False
        self.items[key] = order
        return True

    def list_all(self, *, limit: int, page_token: str | None) -> OrderPage:
        return OrderPage(items=list(self.items.values())[:limit])

    def list_for_user(self, user_name: str, *, dates: DateFilter, limit: int, page_token: str | None) -> OrderPage:
        self.queries.append((user_name, dates))
        return OrderPage(items=[])


@pytest.fixture
def orders() -> FakeOrders:
    return FakeOrders()


@pytest.fixture
def book(orders: FakeOrders) -> OrderBook:
    return OrderBook(orders, clock=lambda: RECEIVED)


def test_the_order_id_is_the_checkout_id_and_the_date_the_checkout_time(book: OrderBook, orders: FakeOrders) -> None:
    # WHEN
    assert book.place(CheckoutBasket.model_validate(CHECKOUT)) is True
    # THEN
    [order] = orders.items.values()
    assert order.orderId == "c-1"
    assert order.orderDate == "2026-11-23T12:00:00.123Z"  # UTC, milliseconds, not the time it was consumed
    assert order.receivedAt == "2026-11-23T13:00:00.000Z"
    assert order.totalPrice == Decimal("1900.80")
    assert order.cardLast4 == "4242"


def test_placing_the_same_checkout_twice_stores_one_order(book: OrderBook, orders: FakeOrders) -> None:
    checkout = CheckoutBasket.model_validate(CHECKOUT)
    assert book.place(checkout) is True
    assert book.place(checkout) is False
    assert len(orders.items) == 1


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"order_date": "2026-11-23"}, DateFilter(prefix="2026-11-23")),
        ({"order_date": "2026-11-23T12:00Z"}, DateFilter(prefix="2026-11-23T12:00")),
        ({"order_date": "2026-11-23T12:00:00.123Z"}, DateFilter(prefix="2026-11-23T12:00:00.123Z")),
        ({"date_from": "2026-11-01", "date_to": "2026-11-30"}, DateFilter(start="2026-11-01", end="2026-11-30~")),
        ({"date_from": "2026-11"}, DateFilter(start="2026-11")),
        ({"date_to": "2026-11-30T10"}, DateFilter(end="2026-11-30T10~")),
        ({}, DateFilter()),
    ],
)
def test_date_filters(kwargs: dict[str, str], expected: DateFilter) -> None:
    args: dict[str, Any] = {"order_date": None, "date_from": None, "date_to": None, **kwargs}
    assert date_filter(**args) == expected


def test_the_end_of_a_range_includes_everything_it_prefixes() -> None:
    end = date_filter(order_date=None, date_from=None, date_to="2026-11-23").end
    assert end is not None and "2026-11-23T23:59:59.999Z" <= end < "2026-11-24"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order_date": "2026-11-23", "date_from": "2026"}, "either orderDate or from/to"),
        ({"date_from": "2026-12-01", "date_to": "2026-11-30"}, "from must not be after to"),
        ({"order_date": "yesterday"}, "orderDate must be an ISO-8601"),
        ({"date_to": "23/11/2026"}, "to must be an ISO-8601"),
    ],
)
def test_bad_date_filters_are_invalid_input(kwargs: dict[str, str], message: str) -> None:
    args: dict[str, Any] = {"order_date": None, "date_from": None, "date_to": None, **kwargs}
    with pytest.raises(InvalidInputError, match=message):
        date_filter(**args)


def test_list_for_user_passes_the_validated_filter(book: OrderBook, orders: FakeOrders) -> None:
    book.list_for_user("swn", limit=5, order_date="2026-11")
    assert orders.queries == [("swn", DateFilter(prefix="2026-11"))]


def test_iso_ms_is_utc_with_three_fraction_digits() -> None:
    assert iso_ms(datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=UTC)) == "2026-01-02T03:04:05.006Z"


@pytest.mark.parametrize(
    "change",
    [
        {"checkoutId": ""},
        {"checkoutTime": "2026-11-23T12:00:00"},  # no timezone: ambiguous
        {"items": []},
        {"totalPrice": "lots"},
        {"cardLast4": "4111111111111111"},
    ],
)
def test_malformed_checkouts_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CheckoutBasket.model_validate({**CHECKOUT, **change})
