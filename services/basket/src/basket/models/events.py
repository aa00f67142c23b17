"""Events basket publishes (CheckoutBasket) and consumes (ProductPriceChanged).

Each ``detail`` is a lambda_common envelope: ``{"metadata": {...}, "data": {...}}``. Money is a decimal string.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Final

from lambda_common.envelope import Event
from pydantic import BaseModel, ConfigDict, Field, model_validator

from basket.models.fields import Money

CHECKOUT_SOURCE: Final = "com.swn.basket.checkoutbasket"
CHECKOUT_DETAIL_TYPE: Final = "CheckoutBasket"
PRICE_CHANGED_SOURCE: Final = "com.swn.product"
PRICE_CHANGED_DETAIL_TYPE: Final = "ProductPriceChanged"


class CheckoutItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    productId: str  # noqa: N815 - wire name
    productName: str  # noqa: N815 - wire name
    quantity: int
    color: str | None = None
    price: Money


class CheckoutBasket(BaseModel):
    """``detail.data`` of CheckoutBasket. ``checkoutId`` becomes the order id; ``checkoutTime`` its orderDate."""

    model_config = ConfigDict(frozen=True)

    checkoutId: str  # noqa: N815 - wire name
    checkoutTime: str  # noqa: N815 - wire name; ISO-8601 UTC, millisecond precision, e.g. 2026-11-23T12:00:00.000Z
    userName: str  # noqa: N815 - wire name
    firstName: str  # noqa: N815 - wire name
    lastName: str  # noqa: N815 - wire name
    email: str
    address: str
    paymentMethod: str  # noqa: N815 - wire name
    cardBrand: str | None = None  # noqa: N815 - wire name
    cardLast4: str | None = None  # noqa: N815 - wire name
    items: list[CheckoutItem]
    totalPrice: Money  # noqa: N815 - wire name


CheckoutBasketEvent = Event[CheckoutBasket]


class ProductPriceChanged(BaseModel):
    """``detail.data`` of ProductPriceChanged, as basket reads it (extra fields are ignored: tolerant reader)."""

    model_config = ConfigDict(frozen=True)

    productId: Annotated[str, Field(min_length=1, max_length=128)]  # noqa: N815 - wire name
    oldPrice: Annotated[Decimal, Field(gt=0)] | None = None  # noqa: N815 - wire name
    newPrice: Annotated[Decimal, Field(gt=0)]  # noqa: N815 - wire name


class PriceChangedEnvelope(Event[ProductPriceChanged]):
    pass


class PriceChangedNotification(BaseModel):
    """The EventBridge event that invokes ``basket.handlers.consume_price_changed.handler``.

    Only the fields we read are declared. (Powertools' EventBridgeModel would do, but importing it loads every
    Powertools parser model, which the basket API would pay for at cold start.)
    """

    model_config = ConfigDict(populate_by_name=True)

    id: str
    source: str
    detail_type: str = Field(alias="detail-type")
    time: datetime
    detail: PriceChangedEnvelope

    @model_validator(mode="before")
    @classmethod
    def _is_price_change(cls, data: Any) -> Any:
        if isinstance(data, dict):
            source, detail_type = data.get("source"), data.get("detail-type", data.get("detail_type"))
            if (source, detail_type) != (PRICE_CHANGED_SOURCE, PRICE_CHANGED_DETAIL_TYPE):
                raise ValueError(
                    f"expected {PRICE_CHANGED_DETAIL_TYPE} from {PRICE_CHANGED_SOURCE}, got {detail_type!r} "
                    f"from {source!r}"
                )
        return data

    @property
    def changed_at(self) -> datetime:
        """When product wrote the new price (the envelope's createdAt), used to order updates."""
        return self.detail.metadata.created_at
