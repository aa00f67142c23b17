"""Checkout request and answer. Card data beyond brand and last four digits is refused, never stored or sent on."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from basket.models.basket import Money, UserName

Name = Annotated[str, Field(min_length=1, max_length=100)]
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]

# 13-19 digits, optionally grouped by spaces or dashes: the shape of a primary account number.
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d){12,18}")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def looks_like_card_number(text: str) -> bool:
    """True if ``text`` holds a Luhn-valid 13-19 digit run (so phone numbers and postcodes mostly pass)."""
    return any(_luhn_ok(re.sub(r"[ -]", "", run)) for run in _DIGIT_RUN.findall(text))


class CheckoutIn(BaseModel):
    """POST /basket/checkout. Unknown fields are refused, so ``cardNumber``, ``cvv`` or ``cardInfo`` get a 422."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    userName: UserName  # noqa: N815 - wire name
    firstName: Name  # noqa: N815 - wire name
    lastName: Name  # noqa: N815 - wire name
    email: Email
    address: Annotated[str, Field(min_length=1, max_length=500)]
    paymentMethod: Annotated[  # noqa: N815 - wire name
        str, Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_-]*$", examples=["card", "paypal"])
    ]
    cardBrand: Annotated[str, Field(min_length=1, max_length=32)] | None = None  # noqa: N815 - wire name
    cardLast4: Annotated[str, Field(pattern=r"^[0-9]{4}$")] | None = None  # noqa: N815 - wire name

    @model_validator(mode="after")
    def _no_card_numbers(self) -> CheckoutIn:
        for name, value in self:
            if isinstance(value, str) and looks_like_card_number(value):
                raise ValueError(f"{name} looks like a card number; card numbers are not accepted")
        return self


class CheckoutAccepted(BaseModel):
    """202: the checkout event was accepted by the bus; the order appears once ordering has consumed it."""

    checkoutId: str  # noqa: N815 - wire name
    totalPrice: Money  # noqa: N815 - wire name
