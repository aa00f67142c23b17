"""The order table adapter against moto."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from lambda_common import aws, page_token
from lambda_common.errors import InvalidInputError
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


def test_two_orders_of_one_user_in_the_same_millisecond_are_both_kept(repo: DynamoOrderRepository) -> None:
    # WHEN
    assert repo.add(_order("o1", "2026-11-23T12:00:00.000Z")) is True
    assert repo.add(_order("o2", "2026-11-23T12:00:00.000Z")) is True
    # THEN both, and a query by that exact time finds both
    exact = DateFilter(prefix="2026-11-23T12:00:00.000Z")
    page = repo.list_for_user("swn", dates=exact, limit=10, page_token=None)
    assert sorted(o.orderId for o in page.items) == ["o1", "o2"]


@pytest.mark.parametrize(
    ("dates", "token_date"),
    [
        (DateFilter(prefix="2026-11-23"), "2026-11-24T00:00:00.000Z"),
        (DateFilter(start="2026-11-23"), "2026-11-22T00:00:00.000Z"),
        (DateFilter(end="2026-11-23~"), "2026-11-24T00:00:00.000Z"),
    ],
)
def test_a_token_from_other_dates_is_invalid_input_not_a_dependency_error(
    repo: DynamoOrderRepository, dates: DateFilter, token_date: str
) -> None:
    token = page_token.encode({"userName": "swn", "orderKey": f"{token_date}#o1"})
    with pytest.raises(InvalidInputError, match="nextToken is not valid for this query"):
        repo.list_for_user("swn", dates=dates, limit=10, page_token=token)


@pytest.mark.parametrize("key", [{"userName": "swn", "orderDate": "2026"}, {"userName": "swn", "orderKey": "x"}])
def test_a_foreign_token_is_invalid_input_for_the_scan_too(repo: DynamoOrderRepository, key: dict[str, str]) -> None:
    with pytest.raises(InvalidInputError, match="nextToken is not valid for this query"):
        repo.list_all(limit=10, page_token=page_token.encode(key))


def test_money_is_stored_exactly(repo: DynamoOrderRepository, order_table: Any) -> None:
    repo.add(_order("o1", "2026-11-23T12:00:00.000Z"))
    item = order_table.get_item(Key={"userName": "swn", "orderKey": "2026-11-23T12:00:00.000Z#o1"})["Item"]
    assert item["totalPrice"] == Decimal("0.30") and item["items"][0]["price"] == Decimal("0.10")
