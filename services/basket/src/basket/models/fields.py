"""Field types shared by the basket's models. Each says in the OpenAPI document what its validator enforces."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from lambda_common.cards import NoCardNumber
from lambda_common.text import NOT_BLANK
from pydantic import Field, PlainSerializer

CENT = Decimal("0.01")


def _money_text(value: Decimal) -> str:
    return str(value.quantize(CENT))


Money = Annotated[Decimal, PlainSerializer(_money_text, return_type=str, when_used="json")]
UserName = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.@+-]+$"), NoCardNumber]
ProductId = Annotated[str, Field(min_length=1, max_length=128, pattern=NOT_BLANK)]
Color = Annotated[str, Field(min_length=1, max_length=50, pattern=NOT_BLANK), NoCardNumber]
Quantity = Annotated[int, Field(ge=1, le=1000)]
