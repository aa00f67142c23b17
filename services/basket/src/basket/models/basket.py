"""Baskets as clients send them, as they are stored, and as they are returned.

Clients choose products and quantities only; names and prices come from the product table. Prices are Decimal
end to end and go out as decimal strings.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, computed_field

CENT = Decimal("0.01")


def _money_text(value: Decimal) -> str:
    return str(value.quantize(CENT))


Money = Annotated[Decimal, PlainSerializer(_money_text, return_type=str, when_used="json")]
UserName = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.@+-]+$")]
ProductId = Annotated[str, Field(min_length=1, max_length=128)]
Color = Annotated[str, Field(min_length=1, max_length=50)]
Quantity = Annotated[int, Field(ge=1, le=1000)]
MAX_LINES = 100  # One BatchGetItem (100 keys) prices the whole basket.

_INPUT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BasketItemIn(BaseModel):
    model_config = _INPUT

    productId: ProductId  # noqa: N815 - wire name
    quantity: Quantity
    color: Color | None = None


class BasketIn(BaseModel):
    """POST /basket: replaces the user's basket. Prices and product names are not accepted from clients."""

    model_config = _INPUT

    userName: UserName  # noqa: N815 - wire name
    items: list[BasketItemIn] = Field(default_factory=list, max_length=MAX_LINES)


class BasketLine(BaseModel):
    """A stored line. ``priceAsOf`` orders price updates, so a late or redelivered event never undoes a newer one."""

    model_config = ConfigDict(frozen=True)

    productId: ProductId  # noqa: N815 - wire name
    productName: str  # noqa: N815 - wire name
    quantity: Quantity
    color: Color | None = None
    price: Money
    priceAsOf: datetime  # noqa: N815 - wire name

    @property
    def subtotal(self) -> Decimal:
        return self.price * self.quantity


class Basket(BaseModel):
    """A stored basket. ``revision`` changes on every write (optimistic locking)."""

    model_config = ConfigDict(frozen=True)

    userName: UserName  # noqa: N815 - wire name
    items: list[BasketLine]
    revision: str

    @property
    def total_price(self) -> Decimal:
        return sum((line.subtotal for line in self.items), Decimal(0))

    @property
    def product_ids(self) -> set[str]:
        return {line.productId for line in self.items}

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "userName": self.userName,
            "revision": self.revision,
            "items": [
                {**line.model_dump(exclude_none=True, exclude={"priceAsOf"}), "priceAsOf": _iso(line.priceAsOf)}
                for line in self.items
            ],
        }
        if self.items:  # DynamoDB rejects empty sets; the attribute is what the price fan-out filters on.
            item["productIds"] = self.product_ids
        return item


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


class BasketLineOut(BaseModel):
    productId: str  # noqa: N815 - wire name
    productName: str  # noqa: N815 - wire name
    quantity: int
    color: str | None = None
    price: Money


class BasketOut(BaseModel):
    userName: str  # noqa: N815 - wire name
    items: list[BasketLineOut]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def totalPrice(self) -> Money:  # noqa: N802 - wire name
        """Sum of price x quantity."""
        return sum((line.price * line.quantity for line in self.items), Decimal(0))

    @classmethod
    def of(cls, basket: Basket) -> BasketOut:
        return cls(
            userName=basket.userName,
            items=[BasketLineOut.model_validate(line.model_dump(exclude={"priceAsOf"})) for line in basket.items],
        )


class ProductInfo(BaseModel):
    """What a basket needs to know about a product."""

    model_config = ConfigDict(frozen=True)

    name: str
    price: Decimal
