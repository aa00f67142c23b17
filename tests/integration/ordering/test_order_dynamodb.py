"""The order table adapter against moto."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from lambda_common import aws
from lambda_common.errors import ConflictError
from ordering.adapters.dynamodb import DynamoOrderRepository
from ordering.models.order import DateFilter, Order, OrderItem


def _order(order_id: str, date: str) -> Order:
    return Order(
        orderId=order_id,
        userName="swn",
        orderDate=date,
        firstName="M",
        lastName="O",
        email="m@example.com",
        address="Istanbul",
        paymentMethod="paypal",
        items=[OrderItem(productId="p", productName="Phone", quantity=3, price=Decimal("0.10"))],
        totalPrice=Decimal("0.30"),
        receivedAt=date,
    )


@pytest.fixture
def repo(order_table: Any) -> DynamoOrderRepository:
    return DynamoOrderRepository(aws.client("dynamodb"), order_table.name)


def test_add_is_idempotent_per_order(repo: DynamoOrderRepository) -> None:
    assert repo.add(_order("o1", "2026-11-23T12:00:00.000Z")) is True
    assert repo.add(_order("o1", "2026-11-23T12:00:00.000Z")) is False
    page = repo.list_for_user("swn", dates=DateFilter(), limit=10, page_token=None)
    assert page.items == [_order("o1", "2026-11-23T12:00:00.000Z")]


def test_a_different_order_on_the_same_key_is_a_conflict(repo: DynamoOrderRepository) -> None:
    repo.add(_order("o1", "2026-11-23T12:00:00.000Z"))
    with pytest.raises(ConflictError, match="o2 clashes with order o1"):
        repo.add(_order("o2", "2026-11-23T12:00:00.000Z"))


def test_money_is_stored_exactly(repo: DynamoOrderRepository, order_table: Any) -> None:
    repo.add(_order("o1", "2026-11-23T12:00:00.000Z"))
    item = order_table.get_item(Key={"userName": "swn", "orderDate": "2026-11-23T12:00:00.000Z"})["Item"]
    assert item["totalPrice"] == Decimal("0.30") and item["items"][0]["price"] == Decimal("0.10")
