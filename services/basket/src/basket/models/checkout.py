"""Checkout request and answer.

Card policy (docs/CONVENTIONS.md): no card data is accepted, stored or published beyond the card's brand and last
four digits. ``paymentMethod`` and ``cardBrand`` are closed sets, ``cardLast4`` is four digits, unknown fields
(``cardNumber``, ``cvv``...) are refused, and every free-text field refuses a card number in any grouping
(lambda_common.cards).
"""

from __future__ import annotations

from typing import Annotated, Literal

from lambda_common.cards import NoCardNumber
from lambda_common.text import EMAIL, NOT_BLANK
from pydantic import BaseModel, ConfigDict, Field

from basket.models.fields import Money, UserName

PaymentMethod = Literal["card", "paypal", "bank_transfer", "cash_on_delivery"]
CardBrand = Literal["visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "maestro"]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=NOT_BLANK), NoCardNumber]
Address = Annotated[str, Field(min_length=1, max_length=500, pattern=NOT_BLANK), NoCardNumber]
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=EMAIL), NoCardNumber]


class CheckoutIn(BaseModel):
    """POST /basket/checkout. Unknown fields are refused, so ``cardNumber``, ``cvv`` or ``cardInfo`` get a 422."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    userName: UserName  # noqa: N815 - wire name
    firstName: Name  # noqa: N815 - wire name
    lastName: Name  # noqa: N815 - wire name
    email: Email
    address: Address
    paymentMethod: PaymentMethod  # noqa: N815 - wire name
    cardBrand: CardBrand | None = None  # noqa: N815 - wire name
    cardLast4: Annotated[str, Field(pattern=r"^[0-9]{4}$")] | None = None  # noqa: N815 - wire name


class OrderLine(BaseModel):
    productId: str  # noqa: N815 - wire name
    productName: str  # noqa: N815 - wire name
    quantity: int
    color: str | None = None
    price: Money = Field(description="The product table's price at checkout")


class CheckoutAccepted(BaseModel):
    """202: the basket is checked out and its order is on its way (ordering stores it as ``orderId`` =
    ``checkoutId``). Repeating the request with the same Idempotency-Key returns this body again."""

    checkoutId: str  # noqa: N815 - wire name
    checkoutTime: str  # noqa: N815 - wire name; the order's orderDate
    userName: str  # noqa: N815 - wire name
    items: list[OrderLine]
    totalPrice: Money  # noqa: N815 - wire name
