"""Basket rules with in-memory fakes: pricing and the price-change fan-out (checkout: test_checkout_service.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from basket.domain.baskets import BasketService, reprice
from basket.models.basket import BasketIn
from lambda_common.errors import ConflictError, NotFoundError

NOW = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)  # the fakes' clock (conftest)


def _fill(service: BasketService, *items: tuple[str, int]) -> None:
    service.replace(
        BasketIn.model_validate({"userName": "swn", "items": [{"productId": p, "quantity": q} for p, q in items]})
    )


def test_prices_and_names_come_from_the_catalogue_and_the_total_is_exact(service: BasketService) -> None:
    # WHEN
    _fill(service, ("phone", 2), ("case", 3))
    basket = service.get("swn")
    # THEN
    assert [(line.productName, line.price) for line in basket.items] == [
        ("IPhone X", Decimal("950.40")),
        ("Phone case", Decimal("19.99")),
    ]
    assert basket.total_price == Decimal("1960.77")  # 2 x 950.40 + 3 x 19.99, no float rounding


def test_unknown_products_are_refused_by_id(service: BasketService, baskets: Any) -> None:
    with pytest.raises(ConflictError, match="unknown product ids: ghost"):
        _fill(service, ("phone", 1), ("ghost", 1))
    assert baskets.items == {}


def test_a_missing_basket_is_not_found(service: BasketService) -> None:
    with pytest.raises(NotFoundError):
        service.get("nobody")
    with pytest.raises(NotFoundError):
        service.delete("nobody")


def test_a_price_change_updates_only_baskets_holding_the_product(service: BasketService, baskets: Any) -> None:
    # GIVEN
    _fill(service, ("phone", 2), ("case", 1))
    service.replace(BasketIn.model_validate({"userName": "other", "items": [{"productId": "case", "quantity": 1}]}))
    # WHEN
    updated = service.apply_price_change(product_id="phone", price=Decimal("899.99"), changed_at=NOW + timedelta(1))
    # THEN
    assert updated == 1
    assert [line.price for line in baskets.items["swn"].items] == [Decimal("899.99"), Decimal("19.99")]
    assert baskets.items["swn"].total_price == Decimal("1819.97")
    assert baskets.items["other"].items[0].price == Decimal("19.99")


def test_a_redelivered_price_change_changes_nothing_more(service: BasketService, baskets: Any) -> None:
    # GIVEN
    _fill(service, ("phone", 1))
    later = NOW + timedelta(seconds=5)
    service.apply_price_change(product_id="phone", price=Decimal(900), changed_at=later)
    # WHEN
    again = service.apply_price_change(product_id="phone", price=Decimal(900), changed_at=later)
    # THEN
    assert again == 0
    assert baskets.items["swn"].items[0].price == Decimal(900)


def test_an_older_price_change_never_undoes_a_newer_price(service: BasketService, baskets: Any) -> None:
    # GIVEN the basket was priced after the change happened
    _fill(service, ("phone", 1))
    # WHEN a late event arrives
    updated = service.apply_price_change(product_id="phone", price=Decimal(1), changed_at=NOW - timedelta(seconds=1))
    # THEN
    assert updated == 0
    assert baskets.items["swn"].items[0].price == Decimal("950.40")


def test_a_concurrent_basket_write_is_retried_on_fresh_data(service: BasketService, baskets: Any) -> None:
    # GIVEN the user adds a line between the scan and the write
    _fill(service, ("phone", 1))
    baskets.before_put.append(lambda: _fill(service, ("phone", 1), ("case", 2)))
    # WHEN
    updated = service.apply_price_change(product_id="phone", price=Decimal(5), changed_at=NOW + timedelta(1))
    # THEN both the user's change and the new price are kept
    assert updated == 1
    assert [(line.productId, line.price) for line in baskets.items["swn"].items] == [
        ("phone", Decimal(5)),
        ("case", Decimal("19.99")),
    ]


def test_a_basket_that_keeps_changing_fails_loudly(service: BasketService, baskets: Any) -> None:
    _fill(service, ("phone", 1))
    baskets.before_put.extend([lambda: _fill(service, ("phone", 1))] * 10)
    with pytest.raises(ConflictError):
        service.apply_price_change(product_id="phone", price=Decimal(5), changed_at=NOW + timedelta(1))


def test_reprice_leaves_other_lines_alone(service: BasketService) -> None:
    _fill(service, ("case", 1))
    assert reprice(service.get("swn"), product_id="phone", price=Decimal(1), changed_at=NOW, revision="r") is None
