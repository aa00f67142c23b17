"""Baskets as clients send them, as they are stored, and as they are returned.

Clients choose products and quantities only; names and prices come from the product table. Prices are Decimal
end to end and go out as decimal strings.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from basket.models.events import CheckoutBasketEvent
from basket.models.fields import Color, Money, ProductId, Quantity, UserName

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


class PendingCheckout(BaseModel):
    """A checkout's hold on the basket, written atomically (conditional on the basket's revision) before anything
    is published. It is also the outbox: ``event`` is exactly what is (re)published, so a retry after a failed or
    crashed publish sends the same ``checkoutId`` and ``checkoutTime`` and ordering absorbs a duplicate. The
    request holding ``leaseUntil`` finishes it; once the lease is released (None) or has expired, the next checkout
    request takes it over."""

    model_config = ConfigDict(frozen=True)

    state: Literal["pending"] = "pending"
    checkoutId: str  # noqa: N815 - wire name
    event: CheckoutBasketEvent
    leaseUntil: datetime | None = None  # noqa: N815 - wire name

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "state": self.state,
            "checkoutId": self.checkoutId,
            "event": self.event.model_dump(mode="json", by_alias=True, exclude_none=True),
        }
        if self.leaseUntil is not None:
            item["leaseUntil"] = _iso(self.leaseUntil)
        return item


class ClosedCheckout(BaseModel):
    """The event is out: the basket is closed until the user stores a new one."""

    model_config = ConfigDict(frozen=True)

    state: Literal["done"] = "done"
    checkoutId: str  # noqa: N815 - wire name

    def to_item(self) -> dict[str, Any]:
        return {"state": self.state, "checkoutId": self.checkoutId}


CheckoutState = Annotated[PendingCheckout | ClosedCheckout, Field(discriminator="state")]


class Basket(BaseModel):
    """A stored basket. ``revision`` changes on every write (optimistic locking)."""

    model_config = ConfigDict(frozen=True)

    userName: UserName  # noqa: N815 - wire name
    items: list[BasketLine]
    revision: str
    checkout: CheckoutState | None = None

    @property
    def is_open(self) -> bool:
        """Not held by a checkout: lines may change, prices follow the catalogue."""
        return self.checkout is None

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
        if self.checkout is not None:
            item["checkout"] = self.checkout.to_item()
        elif self.items:  # DynamoDB rejects empty sets; the price fan-out filters on it, so only open baskets have it.
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
    pendingCheckoutId: str | None = Field(  # noqa: N815 - wire name
        default=None, description="Set while a checkout of this basket is unfinished: POST /basket/checkout again"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def totalPrice(self) -> Money:  # noqa: N802 - wire name
        """Sum of price x quantity."""
        return sum((line.price * line.quantity for line in self.items), Decimal(0))

    @classmethod
    def of(cls, basket: Basket) -> BasketOut:
        return cls(
            userName=basket.userName,
            pendingCheckoutId=basket.checkout.checkoutId if basket.checkout else None,
            items=[BasketLineOut.model_validate(line.model_dump(exclude={"priceAsOf"})) for line in basket.items],
        )


class ProductInfo(BaseModel):
    """What a basket needs to know about a product."""

    model_config = ConfigDict(frozen=True)

    name: str
    price: Decimal
