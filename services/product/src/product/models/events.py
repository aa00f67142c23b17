"""Events the product service publishes (the EventBridge ``detail`` is a lambda_common envelope)."""

from __future__ import annotations

from typing import Final

from lambda_common.envelope import Event
from pydantic import BaseModel, ConfigDict

from product.models.product import Price, ProductId

SOURCE: Final = "com.swn.product"
PRICE_CHANGED: Final = "ProductPriceChanged"


class ProductPriceChanged(BaseModel):
    """``detail.data`` of a ProductPriceChanged event. Prices are decimal strings on the wire."""

    model_config = ConfigDict(frozen=True)

    productId: ProductId  # noqa: N815 - wire name
    oldPrice: Price  # noqa: N815 - wire name
    newPrice: Price  # noqa: N815 - wire name


PriceChangedEvent = Event[ProductPriceChanged]
