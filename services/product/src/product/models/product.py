"""The product's HTTP and storage shapes.

Prices are ``Decimal`` end to end: validated from a JSON number or string, stored as a DynamoDB Number (boto3's
serializer refuses floats), and returned as a decimal string with two places so no client parses them as floats.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

CENT = Decimal("0.01")


def _price_text(value: Decimal) -> str:
    return str(value.quantize(CENT))


Price = Annotated[
    Decimal,
    Field(gt=0, max_digits=12, decimal_places=2, description="Unit price, > 0, at most 2 decimal places"),
    PlainSerializer(_price_text, return_type=str, when_used="json"),
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=2000)]
ImageFile = Annotated[str, Field(min_length=1, max_length=500)]
Category = Annotated[str, Field(min_length=1, max_length=100, description="Indexed: GET /product?category=")]
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


class ProductUpdate(BaseModel):
    """PUT /product/{id}: the fields to change (at least one). Omitted fields keep their value."""

    model_config = _INPUT

    name: Name | None = None
    description: Description | None = None
    imageFile: ImageFile | None = None  # noqa: N815 - wire name
    price: Price | None = None
    category: Category | None = None

    @model_validator(mode="after")
    def _some_change(self) -> ProductUpdate:
        if not self.changes():
            raise ValueError("give at least one field to change (null does not clear a field)")
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
