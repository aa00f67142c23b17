"""The basket table and product lookup adapters against moto."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from basket.adapters.dynamodb import DynamoBasketRepository, DynamoProductLookup
from basket.models.basket import Basket, BasketLine
from lambda_common import aws

PHONE = "1b8f2d3e-7c1a-4f0e-9a55-0c2d7a6b9e11"
CASE = "7d1c5a9e-3b2f-4e8d-a6c0-5f4e3d2c1b0a"
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.fixture
def repo(tables: dict[str, Any]) -> DynamoBasketRepository:
    return DynamoBasketRepository(aws.client("dynamodb"), tables["basket"].name)


def _basket(user: str, *products: str, revision: str = "r1") -> Basket:
    lines = [BasketLine(productId=p, productName=p, quantity=1, price=Decimal("1.10"), priceAsOf=NOW) for p in products]
    return Basket(userName=user, items=lines, revision=revision)


def test_a_basket_round_trips(repo: DynamoBasketRepository) -> None:
    basket = _basket("ann", PHONE, CASE)
    repo.put(basket)
    assert repo.get("ann") == basket


def test_an_empty_basket_is_stored_without_the_product_id_set(
    repo: DynamoBasketRepository, tables: dict[str, Any]
) -> None:
    repo.put(_basket("ann"))
    assert "productIds" not in tables["basket"].get_item(Key={"userName": "ann"})["Item"]
    assert repo.get("ann") == _basket("ann")


def test_conditional_writes_respect_the_revision(repo: DynamoBasketRepository) -> None:
    repo.put(_basket("ann", PHONE, revision="r1"))
    assert repo.put(_basket("ann", CASE, revision="r2"), expected_revision="stale") is False
    assert repo.put(_basket("ann", CASE, revision="r2"), expected_revision="r1") is True
    assert repo.delete("ann", expected_revision="r1") is False
    assert repo.delete("ann", expected_revision="r2") is True
    assert repo.delete("ann") is False


def test_containing_scans_every_page(repo: DynamoBasketRepository, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN more baskets than one (forced small) scan page holds
    for n in range(7):
        repo.put(_basket(f"user{n}", PHONE if n % 2 else CASE))
    scan = repo._dynamodb.scan
    monkeypatch.setattr(repo._dynamodb, "scan", lambda **kw: scan(Limit=2, **kw))
    # WHEN
    found = {b.userName for b in repo.containing(PHONE)}
    # THEN
    assert found == {"user1", "user3", "user5"}


def test_product_lookup_returns_existing_products_only(tables: dict[str, Any]) -> None:
    lookup = DynamoProductLookup(aws.client("dynamodb"), tables["product"].name)
    found = lookup.find([PHONE, CASE, "ghost", PHONE])
    assert {pid: (p.name, p.price) for pid, p in found.items()} == {
        PHONE: ("IPhone X", Decimal("950.40")),
        CASE: ("Phone case", Decimal("19.99")),
    }
    assert lookup.find([]) == {}
