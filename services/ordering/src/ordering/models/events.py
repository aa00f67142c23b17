"""The CheckoutBasket event as ordering reads it: the whole EventBridge event, delivered as an SQS message body.

Ordering keeps its own copy of the schema (consumer-driven; tests/contract checks it against basket's producer).
Unknown fields are ignored (tolerant reader); missing or malformed ones make the record fail.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Final

from lambda_common.envelope import Event
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

SOURCE: Final = "com.swn.basket.checkoutbasket"
DETAIL_TYPE: Final = "CheckoutBasket"

Text = Annotated[str, Field(min_length=1, max_length=500)]


class CheckoutItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    productId: Text  # noqa: N815 - wire name
    productName: Text  # noqa: N815 - wire name
    quantity: Annotated[int, Field(ge=1)]
    color: Text | None = None
    price: Annotated[Decimal, Field(gt=0)]


class CheckoutBasket(BaseModel):
    model_config = ConfigDict(frozen=True)

    checkoutId: Annotated[str, Field(min_length=1, max_length=128)]  # noqa: N815 - wire name
    checkoutTime: AwareDatetime  # noqa: N815 - wire name
    userName: Annotated[str, Field(min_length=1, max_length=128)]  # noqa: N815 - wire name
    firstName: Text  # noqa: N815 - wire name
    lastName: Text  # noqa: N815 - wire name
    email: Text
    address: Text
    paymentMethod: Text  # noqa: N815 - wire name
    cardBrand: Text | None = None  # noqa: N815 - wire name
    cardLast4: Annotated[str, Field(pattern=r"^[0-9]{4}$")] | None = None  # noqa: N815 - wire name
    items: Annotated[list[CheckoutItem], Field(min_length=1)]
    totalPrice: Annotated[Decimal, Field(ge=0)]  # noqa: N815 - wire name


class CheckoutEnvelope(Event[CheckoutBasket]):
    pass


class CheckoutBasketEvent(BaseModel):
    """The EventBridge event in the SQS body. Only the fields we read are declared (Powertools' EventBridgeModel
    would do, but importing it loads every Powertools parser model at cold start)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    source: str
    detail_type: str = Field(alias="detail-type")
    time: datetime
    detail: CheckoutEnvelope

    @model_validator(mode="before")
    @classmethod
    def _is_checkout(cls, data: Any) -> Any:
        if isinstance(data, dict):
            source, detail_type = data.get("source"), data.get("detail-type", data.get("detail_type"))
            if (source, detail_type) != (SOURCE, DETAIL_TYPE):
                raise ValueError(f"expected {DETAIL_TYPE} from {SOURCE}, got {detail_type!r} from {source!r}")
        return data
