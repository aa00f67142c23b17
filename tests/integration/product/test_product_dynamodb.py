"""The product table adapter against moto."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import pytest
from lambda_common import aws
from lambda_common.errors import DependencyError, InvalidInputError, NotFoundError
from product.adapters.dynamodb import DynamoProductRepository
from product.models.product import Product


@pytest.fixture
def repo(product_table: Any) -> DynamoProductRepository:
    return DynamoProductRepository(aws.client("dynamodb"), product_table.name)


def _product(n: int, category: str = "Phone", price: str = "19.99") -> Product:
    return Product(id=f"p{n:03d}", name=f"Product {n}", price=Decimal(price), category=category)


def test_the_price_is_stored_as_an_exact_dynamodb_number(repo: DynamoProductRepository, product_table: Any) -> None:
    # WHEN
    repo.create(_product(1, price="0.10"))
    # THEN the low-level item holds the decimal text, not a float's expansion
    raw = boto3.client("dynamodb").get_item(TableName=product_table.name, Key={"id": {"S": "p001"}})["Item"]
    assert list(raw["price"]) == ["N"] and Decimal(raw["price"]["N"]) == Decimal("0.1")
    assert repo.get("p001") == _product(1, price="0.10")


def test_get_of_a_missing_product_is_none(repo: DynamoProductRepository) -> None:
    assert repo.get("missing") is None


def test_update_returns_before_and_after_and_never_creates(repo: DynamoProductRepository) -> None:
    # GIVEN
    repo.create(_product(1))
    # WHEN
    before, after = repo.update("p001", {"price": Decimal("25"), "name": "Renamed"})
    # THEN
    assert (before.price, after.price, after.name) == (Decimal("19.99"), Decimal(25), "Renamed")
    assert repo.get("p001") == after
    with pytest.raises(NotFoundError):
        repo.update("p999", {"price": Decimal(1)})
    assert repo.get("p999") is None


def test_restore_price_only_if_unchanged_since(repo: DynamoProductRepository) -> None:
    # GIVEN
    repo.create(_product(1, price="5"))
    # THEN
    assert repo.restore_price("p001", price=Decimal(4), only_if=Decimal(6)) is False
    assert repo.restore_price("p001", price=Decimal(4), only_if=Decimal(5)) is True
    assert repo.get("p001").price == Decimal(4)  # type: ignore[union-attr]


def test_delete_of_a_missing_product_raises_not_found(repo: DynamoProductRepository) -> None:
    repo.create(_product(1))
    repo.delete("p001")
    with pytest.raises(NotFoundError):
        repo.delete("p001")


def test_pages_cover_every_product_exactly_once(repo: DynamoProductRepository) -> None:
    # GIVEN
    for n in range(7):
        repo.create(_product(n))
    # WHEN
    seen: list[str] = []
    token = None
    while True:
        page = repo.list(limit=3, page_token=token, category=None)
        assert len(page.items) <= 3
        seen += [p.id for p in page.items]
        token = page.nextToken
        if token is None:
            break
    # THEN
    assert sorted(seen) == [f"p{n:03d}" for n in range(7)]


def test_category_queries_the_index_and_pages_within_it(repo: DynamoProductRepository) -> None:
    # GIVEN
    for n in range(5):
        repo.create(_product(n, category="Phone" if n % 2 else "Case"))
    # WHEN
    first = repo.list(limit=1, page_token=None, category="Phone")
    second = repo.list(limit=5, page_token=first.nextToken, category="Phone")
    # THEN
    assert sorted(p.id for p in first.items + second.items) == ["p001", "p003"]
    # AND a token of one query is refused by another
    with pytest.raises(InvalidInputError):
        repo.list(limit=1, page_token=first.nextToken, category="Case")
    with pytest.raises(InvalidInputError):
        repo.list(limit=1, page_token=first.nextToken, category=None)


def test_a_missing_table_is_a_dependency_error(aws_env: None) -> None:
    repo = DynamoProductRepository(aws.client("dynamodb"), "does-not-exist")
    with pytest.raises(DependencyError):
        repo.get("p1")
