"""In-memory fakes of the product ports (no network, no boto3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from lambda_common.errors import DependencyError, NotFoundError
from product.models.product import Product, ProductPage
from pydantic import BaseModel


class FakeProducts:
    def __init__(self) -> None:
        self.items: dict[str, Product] = {}

    def get(self, product_id: str) -> Product | None:
        return self.items.get(product_id)

    def list(self, *, limit: int, page_token: str | None, category: str | None) -> ProductPage:
        found = [p for p in self.items.values() if category is None or p.category == category]
        return ProductPage(items=found[:limit])

    def create(self, product: Product) -> None:
        self.items[product.id] = product

    def update(self, product_id: str, changes: dict[str, Any]) -> tuple[Product, Product]:
        if product_id not in self.items:
            raise NotFoundError(f"product {product_id} not found")
        before = self.items[product_id]
        self.items[product_id] = before.model_copy(update=changes)
        return before, self.items[product_id]

    def restore_price(self, product_id: str, *, price: Decimal, only_if: Decimal) -> bool:
        if self.items[product_id].price != only_if:
            return False
        self.items[product_id] = self.items[product_id].model_copy(update={"price": price})
        return True

    def delete(self, product_id: str) -> None:
        if self.items.pop(product_id, None) is None:
            raise NotFoundError(f"product {product_id} not found")


class FakeBus:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, dict[str, Any]]] = []
        self.fail = False

    def publish(self, *, source: str, detail_type: str, detail: BaseModel) -> None:
        if self.fail:
            raise DependencyError("bus rejected the entry")
        self.published.append((source, detail_type, detail.model_dump(mode="json", by_alias=True)))


@pytest.fixture
def products() -> FakeProducts:
    return FakeProducts()


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()
