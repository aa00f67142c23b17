"""Ordering rules: one order per checkout (the checkout id is the order id), dated by the checkout time."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from lambda_common.errors import InvalidInputError

from ordering.models.events import CheckoutBasket
from ordering.models.order import DateFilter, Order, OrderItem, OrderPage
from ordering.ports import OrderRepository

#: A date or date-time prefix: 2026, 2026-11, 2026-11-23, 2026-11-23T12, ... 2026-11-23T12:00:00.123, optional Z.
DATE_PREFIX = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,3})?)?)?)?)?)?Z?$"
_DATE_PREFIX = re.compile(DATE_PREFIX)
# Sorts after every character of an ISO timestamp, so "<= to + _AFTER" includes everything that starts with "to".
_AFTER = "~"


def _now() -> datetime:
    return datetime.now(UTC)


def iso_ms(moment: datetime) -> str:
    """ISO-8601 UTC with millisecond precision and a Z: the orderDate format (and the start of the sort key)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _prefix(value: str, name: str) -> str:
    if not _DATE_PREFIX.match(value):
        raise InvalidInputError(f"{name} must be an ISO-8601 UTC date or date-time prefix, e.g. 2026-11-23")
    # Stored dates always end in ".mmmZ"; without the Z a shorter prefix still matches them.
    return value[:-1] if value.endswith("Z") and len(value) < len("2026-11-23T12:00:00.000Z") else value


def date_filter(*, order_date: str | None, date_from: str | None, date_to: str | None) -> DateFilter:
    """Validate the query's date parameters: either an ``orderDate`` prefix or a ``from``/``to`` range."""
    if order_date is not None and (date_from is not None or date_to is not None):
        raise InvalidInputError("use either orderDate or from/to, not both")
    if order_date is not None:
        return DateFilter(prefix=_prefix(order_date, "orderDate"))
    start = _prefix(date_from, "from") if date_from is not None else None
    end = _prefix(date_to, "to") + _AFTER if date_to is not None else None
    if start is not None and end is not None and start > end:
        raise InvalidInputError("from must not be after to")
    return DateFilter(start=start, end=end)


class OrderBook:
    def __init__(self, orders: OrderRepository, *, clock: Callable[[], datetime] = _now) -> None:
        self._orders = orders
        self._clock = clock

    def place(self, checkout: CheckoutBasket) -> bool:
        """Record the order for ``checkout``; False if it was already recorded (a redelivery)."""
        order = Order(
            orderId=checkout.checkoutId,
            userName=checkout.userName,
            orderDate=iso_ms(checkout.checkoutTime),
            firstName=checkout.firstName,
            lastName=checkout.lastName,
            email=checkout.email,
            address=checkout.address,
            paymentMethod=checkout.paymentMethod,
            cardBrand=checkout.cardBrand,
            cardLast4=checkout.cardLast4,
            items=[OrderItem.model_validate(item.model_dump()) for item in checkout.items],
            totalPrice=checkout.totalPrice,
            receivedAt=iso_ms(self._clock()),
        )
        return self._orders.add(order)

    def list_all(self, *, limit: int, page_token: str | None = None) -> OrderPage:
        return self._orders.list_all(limit=limit, page_token=page_token)

    def list_for_user(
        self,
        user_name: str,
        *,
        limit: int,
        page_token: str | None = None,
        order_date: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> OrderPage:
        dates = date_filter(order_date=order_date, date_from=date_from, date_to=date_to)
        return self._orders.list_for_user(user_name, dates=dates, limit=limit, page_token=page_token)
