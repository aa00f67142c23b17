"""The order table (PK ``userName``, SK ``orderDate``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from lambda_common import page_token as tokens
from lambda_common.dynamodb import from_item, to_item
from lambda_common.errors import ConflictError, DependencyError, InvalidInputError

from ordering.models.order import DateFilter, Order, OrderPage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_KEYS = frozenset({"userName", "orderDate"})


def _existing_order_id(exc: ClientError) -> str | None:
    """The orderId of the item that failed the condition (low-level attribute format), if DynamoDB returned it."""
    item: Any = exc.response.get("Item") or {}
    order_id = item.get("orderId", {}).get("S")
    return str(order_id) if order_id is not None else None


class DynamoOrderRepository:
    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def add(self, order: Order) -> bool:
        try:
            # The key is (userName, checkout time), both from the event, so a redelivery hits the same key.
            self._dynamodb.put_item(
                TableName=self._table,
                Item=to_item(order.to_item()),
                ConditionExpression="attribute_not_exists(userName)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise DependencyError(f"order table put failed: {exc}") from exc
            existing = _existing_order_id(exc) or self._get_order_id(order.userName, order.orderDate)
            if existing is not None and existing != order.orderId:
                raise ConflictError(f"order {order.orderId} clashes with order {existing} at the same time") from exc
            return False
        except BotoCoreError as exc:
            raise DependencyError(f"order table put failed: {exc}") from exc
        return True

    def _get_order_id(self, user_name: str, order_date: str) -> str | None:
        try:
            item = self._dynamodb.get_item(
                TableName=self._table,
                Key=to_item({"userName": user_name, "orderDate": order_date}),
                ConsistentRead=True,
            )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyError(f"order table get failed: {exc}") from exc
        found = from_item(item.get("Item") or {})
        return str(found["orderId"]) if "orderId" in found else None

    def list_all(self, *, limit: int, page_token: str | None) -> OrderPage:
        kwargs: dict[str, Any] = {"TableName": self._table, "Limit": limit}
        start = tokens.decode(page_token, keys=_KEYS)
        if start is not None:
            kwargs["ExclusiveStartKey"] = to_item(start)
        try:
            page = self._dynamodb.scan(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise DependencyError(f"order table scan failed: {exc}") from exc
        return self._page(page)

    def list_for_user(self, user_name: str, *, dates: DateFilter, limit: int, page_token: str | None) -> OrderPage:
        condition = "userName = :u"
        values: dict[str, Any] = {":u": user_name}
        if dates.prefix is not None:
            condition += " AND begins_with(orderDate, :p)"
            values[":p"] = dates.prefix
        elif dates.start is not None and dates.end is not None:
            condition += " AND orderDate BETWEEN :s AND :e"
            values.update({":s": dates.start, ":e": dates.end})
        elif dates.start is not None:
            condition += " AND orderDate >= :s"
            values[":s"] = dates.start
        elif dates.end is not None:
            condition += " AND orderDate <= :e"
            values[":e"] = dates.end
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": False,  # newest first
            "Limit": limit,
        }
        start = tokens.decode(page_token, keys=_KEYS)
        if start is not None:
            if start["userName"] != user_name:
                raise InvalidInputError("nextToken belongs to a different user")
            kwargs["ExclusiveStartKey"] = to_item(start)
        try:
            page = self._dynamodb.query(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise DependencyError(f"order table query failed: {exc}") from exc
        return self._page(page)

    @staticmethod
    def _page(page: Any) -> OrderPage:
        last_key = page.get("LastEvaluatedKey")
        return OrderPage(
            items=[Order.model_validate(from_item(item)) for item in page.get("Items", [])],
            nextToken=tokens.encode(from_item(last_key) if last_key else None),
        )
