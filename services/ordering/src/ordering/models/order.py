"""Orders as stored (PK ``userName``, SK ``orderKey`` = ``<orderDate>#<orderId>``) and returned."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

CENT = Decimal("0.01")
#: The sort key: the order's date first (so date prefixes and ranges are key conditions), then its unique id.
ORDER_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#.+$")


def _money_text(value: Decimal) -> str:
    return str(value.quantize(CENT))


Money = Annotated[Decimal, PlainSerializer(_money_text, return_type=str, when_used="json")]


class OrderItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    productId: str  # noqa: N815 - wire name
    productName: str  # noqa: N815 - wire name
    quantity: int
    color: str | None = None
    price: Money


class Order(BaseModel):
    """One order. ``orderId`` is the checkout id; ``orderDate`` the checkout time (ISO-8601 UTC, ms precision)."""

    model_config = ConfigDict(frozen=True)

    orderId: str  # noqa: N815 - wire name
    userName: str  # noqa: N815 - wire name
    orderDate: str  # noqa: N815 - wire name
    firstName: str  # noqa: N815 - wire name
    lastName: str  # noqa: N815 - wire name
    email: str
    address: str
    paymentMethod: str  # noqa: N815 - wire name
    cardBrand: str | None = None  # noqa: N815 - wire name
    cardLast4: str | None = None  # noqa: N815 - wire name
    items: list[OrderItem]
    totalPrice: Money  # noqa: N815 - wire name
    receivedAt: str = Field(description="When ordering stored the order (ISO-8601 UTC)")  # noqa: N815 - wire name

    @property
    def order_key(self) -> str:
        return f"{self.orderDate}#{self.orderId}"

    def to_item(self) -> dict[str, Any]:
        return {
            "orderKey": self.order_key,
            **self.model_dump(exclude_none=True, exclude={"items"}),
            "items": [item.model_dump(exclude_none=True) for item in self.items],
        }


class OrderPage(BaseModel):
    items: list[Order]
    nextToken: str | None = Field(  # noqa: N815 - wire name
        default=None, description="Opaque; pass back as ?nextToken= for the next page. Absent on the last page."
    )


class DateFilter(BaseModel):
    """Which of a user's orders to return: an ``orderDate`` prefix, or a ``from``/``to`` range (both inclusive)."""

    model_config = ConfigDict(frozen=True)

    prefix: str | None = None
    start: str | None = None
    end: str | None = None

    def admits(self, key: str) -> bool:
        """``key`` (an orderKey) is one this filter selects."""
        if self.prefix is not None:
            return key.startswith(self.prefix)
        return (self.start is None or key >= self.start) and (self.end is None or key <= self.end)
