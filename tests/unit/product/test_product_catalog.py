"""The catalogue's rules, with in-memory fakes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from lambda_common.errors import DependencyError, NotFoundError
from product.domain.catalog import ProductCatalog
from product.models.product import ProductCreate, ProductUpdate


@pytest.fixture
def catalog(products: Any, bus: Any) -> ProductCatalog:
    ids = iter(f"id-{n}" for n in range(100))
    return ProductCatalog(products, bus, new_id=lambda: next(ids))


def _draft(**overrides: Any) -> ProductCreate:
    return ProductCreate.model_validate({"name": "IPhone X", "price": "950.40", "category": "Phone", **overrides})


def test_create_assigns_the_server_id_and_stores_the_product(catalog: ProductCatalog, products: Any) -> None:
    # WHEN
    created = catalog.create(_draft())
    # THEN
    assert created.id == "id-0"
    assert products.items["id-0"] == created
    assert created.price == Decimal("950.40")


def test_get_of_a_missing_product_raises_not_found(catalog: ProductCatalog) -> None:
    with pytest.raises(NotFoundError, match="product nope not found"):
        catalog.get("nope")


def test_a_price_change_publishes_product_price_changed_with_old_and_new_price(
    catalog: ProductCatalog, bus: Any
) -> None:
    # GIVEN
    product = catalog.create(_draft())
    # WHEN
    updated = catalog.update(product.id, ProductUpdate(price=Decimal("899.99")), correlation_id="req-1")
    # THEN
    assert updated.price == Decimal("899.99")
    [(source, detail_type, detail)] = bus.published
    assert (source, detail_type) == ("com.swn.product", "ProductPriceChanged")
    assert detail["data"] == {"productId": product.id, "oldPrice": "950.40", "newPrice": "899.99"}
    assert detail["metadata"]["correlationId"] == "req-1"


@pytest.mark.parametrize("update", [ProductUpdate(name="New name"), ProductUpdate(price=Decimal("950.4"))])
def test_an_update_that_keeps_the_price_publishes_nothing(
    catalog: ProductCatalog, bus: Any, update: ProductUpdate
) -> None:
    # GIVEN
    product = catalog.create(_draft())
    # WHEN
    catalog.update(product.id, update)
    # THEN
    assert bus.published == []


def test_update_never_creates(catalog: ProductCatalog, products: Any, bus: Any) -> None:
    with pytest.raises(NotFoundError):
        catalog.update("missing", ProductUpdate(price=Decimal(1)))
    assert products.items == {}
    assert bus.published == []


def test_a_rejected_event_puts_the_old_price_back_and_fails(catalog: ProductCatalog, products: Any, bus: Any) -> None:
    # GIVEN
    product = catalog.create(_draft())
    bus.fail = True
    # WHEN
    with pytest.raises(DependencyError):
        catalog.update(product.id, ProductUpdate(price=Decimal("1.00"), name="Renamed"))
    # THEN the price is unchanged, so the client's retry announces the change again
    assert products.items[product.id].price == Decimal("950.40")


def test_delete_of_a_missing_product_raises_not_found(catalog: ProductCatalog) -> None:
    with pytest.raises(NotFoundError):
        catalog.delete("missing")


def test_list_filters_by_category(catalog: ProductCatalog) -> None:
    # GIVEN
    catalog.create(_draft())
    catalog.create(_draft(name="Case", category="Accessory"))
    # WHEN
    page = catalog.list(limit=10, category="Accessory")
    # THEN
    assert [p.name for p in page.items] == ["Case"]
