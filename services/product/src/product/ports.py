"""What the product domain needs from the outside world."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel

from product.models.product import Product, ProductPage


class ProductRepository(Protocol):
    def get(self, product_id: str) -> Product | None: ...

    def list(self, *, limit: int, page_token: str | None, category: str | None) -> ProductPage:
        """A page of products; raises InvalidInputError for a token that is not one of ours."""
        ...

    def create(self, product: Product) -> None: ...

    def update(self, product_id: str, changes: dict[str, Any]) -> tuple[Product, Product]:
        """Apply ``changes`` to an existing product and return (before, after); NotFoundError if it is missing."""
        ...

    def restore_price(self, product_id: str, *, price: Decimal, only_if: Decimal) -> bool:
        """Set the price back to ``price`` if it is still ``only_if``; False if someone changed it meanwhile."""
        ...

    def delete(self, product_id: str) -> None:
        """Delete the product; NotFoundError if it is missing."""
        ...


class EventPublisher(Protocol):
    def publish(self, *, source: str, detail_type: str, detail: BaseModel) -> None:
        """Publish one event; DependencyError unless the bus accepted it."""
        ...
