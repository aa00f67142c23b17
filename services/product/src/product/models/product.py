"""The product's HTTP and storage shapes.

Prices are ``Decimal`` end to end: validated from a JSON number or string, stored as a DynamoDB Number (boto3's
serializer refuses floats), and returned as a decimal string with two places so no client parses them as floats.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from lambda_common.text import NOT_BLANK
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema, model_validator

CENT = Decimal("0.01")
_FLOAT_SLACK = Decimal("1e-12")


def _price_text(value: Decimal) -> str:
    return str(value.quantize(CENT))


#: A price as a string: 0.01 to 9999999999.99, at most two decimal places, no sign or exponent.
PRICE_TEXT = r"^(?:[1-9][0-9]{0,9}(?:\.[0-9]{1,2})?|0?\.(?:0[1-9]|[1-9][0-9]?))$"
_PRICE_TEXT = re.compile(PRICE_TEXT)
_MAX_PRICE = Decimal("9999999999.99")
#: What the validator below accepts, for the OpenAPI document (pydantic's Decimal schema admits "1e3", "-0" ...).
_PRICE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0, "maximum": float(_MAX_PRICE), "multipleOf": 0.01},
        {"type": "string", "pattern": PRICE_TEXT},
    ],
    "description": 'Unit price, > 0, at most 2 decimal places: a JSON number or a decimal string such as "9.99"',
}


def _cents(value: Any) -> Any:
    """A price as a Decimal. Strings must be plain decimals; a JSON number is taken at its nearest cent when it is
    one in binary floating point (0.07 arrives as 0.07000000000000001)."""
    if isinstance(value, str):
        if not _PRICE_TEXT.match(value):
            raise ValueError('a price is a decimal string with at most 2 decimal places, e.g. "9.99"')
        return Decimal(value)
    if isinstance(value, bool):
        raise ValueError("a price is a number or a decimal string, not a boolean")
    if isinstance(value, float) and math.isfinite(value) and abs(value) <= _MAX_PRICE:
        exact = Decimal(repr(value))
        cents = exact.quantize(CENT, rounding=ROUND_HALF_EVEN)
        return cents if abs(exact - cents) <= _FLOAT_SLACK * max(abs(exact), Decimal(1)) else exact
    return value


Price = Annotated[
    Decimal,
    BeforeValidator(_cents),
    Field(gt=0, le=_MAX_PRICE, max_digits=12, decimal_places=2),
    WithJsonSchema(_PRICE_SCHEMA, mode="validation"),
    PlainSerializer(_price_text, return_type=str, when_used="json"),
]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK)]
Description = Annotated[str, Field(max_length=2000)]
ImageFile = Annotated[str, Field(min_length=1, max_length=500, pattern=NOT_BLANK)]
Category = Annotated[
    str, Field(min_length=1, max_length=100, pattern=NOT_BLANK, description="Indexed: GET /product?category=")
]
ProductId = Annotated[str, Field(min_length=1, max_length=128)]

_INPUT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProductCreate(BaseModel):
    """POST /product. The id is the server's to choose, so it is not accepted here."""

    model_config = _INPUT

    name: Name
    description: Description = ""
    imageFile: ImageFile | None = None  # noqa: N815 - wire name
    price: Price
    category: Category


def _update_schema(schema: dict[str, Any]) -> None:
    """Document what the validators enforce: at least one field, and no nulls."""
    schema["minProperties"] = 1
    for prop in schema.get("properties", {}).values():
        variants = [v for v in prop.pop("anyOf", []) if v.get("type") != "null"]
        prop.pop("default", None)
        if len(variants) == 1:
            prop.update(variants[0])
        elif variants:
            prop["anyOf"] = variants


class ProductUpdate(BaseModel):
    """PUT /product/{id}: the fields to change (at least one). Omitted fields keep their value."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_update_schema)

    name: Name | None = None
    description: Description | None = None
    imageFile: ImageFile | None = None  # noqa: N815 - wire name
    price: Price | None = None
    category: Category | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(str(k) for k, v in data.items() if v is None)
            if nulls:
                raise ValueError(f"null does not clear a field; omit {', '.join(nulls)} to keep its value")
        return data

    @model_validator(mode="after")
    def _some_change(self) -> ProductUpdate:
        if not self.changes():
            raise ValueError("give at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client set to a value."""
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None}


class Product(BaseModel):
    """A stored product, as returned to clients."""

    model_config = ConfigDict(extra="ignore")

    id: ProductId
    name: Name
    description: Description = ""
    imageFile: ImageFile | None = None  # noqa: N815 - wire name
    price: Price
    category: Category

    def to_item(self) -> dict[str, Any]:
        """The DynamoDB item (Decimal stays Decimal; absent optional fields are not written)."""
        return self.model_dump(exclude_none=True)


class ProductPage(BaseModel):
    items: list[Product]
    nextToken: str | None = Field(  # noqa: N815 - wire name
        default=None, description="Opaque; pass back as ?nextToken= for the next page. Absent on the last page."
    )
