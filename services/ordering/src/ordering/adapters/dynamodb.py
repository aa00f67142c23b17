"""The order table (PK ``userName``, SK ``orderKey`` = ``<orderDate>#<orderId>``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from lambda_common import page_token as tokens
from lambda_common.dynamodb import from_item, to_item
from lambda_common.errors import DependencyError, InvalidInputError

from ordering.models.order import ORDER_KEY, DateFilter, Order, OrderPage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_KEYS = frozenset({"userName", "orderKey"})
_FOREIGN_TOKEN = "nextToken is not valid for this query"


class DynamoOrderRepository:
    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def add(self, order: Order) -> bool:
        try:
            # The key holds the order id, so two orders never share it and a redelivery hits its own key.
            self._dynamodb.put_item(
                TableName=self._table,
                Item=to_item(order.to_item()),
                ConditionExpression="attribute_not_exists(orderKey)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise DependencyError(f"order table put failed: {exc}") from exc
        except BotoCoreError as exc:
            raise DependencyError(f"order table put failed: {exc}") from exc
        return True

    def list_all(self, *, limit: int, page_token: str | None) -> OrderPage:
        kwargs: dict[str, Any] = {"TableName": self._table, "Limit": limit}
        start = tokens.decode(page_token, keys=_KEYS)
        if start is not None:
            if not ORDER_KEY.match(start["orderKey"]):
                raise InvalidInputError(_FOREIGN_TOKEN)
            kwargs["ExclusiveStartKey"] = to_item(start)
        try:
            page = self._dynamodb.scan(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise DependencyError(f"order table scan failed: {exc}") from exc
        return self._page(page)

    def list_for_user(self, user_name: str, *, dates: DateFilter, limit: int, page_token: str | None) -> OrderPage:
        condition = "userName = :u"
        values: dict[str, Any] = {":u": user_name}
        # orderKey starts with the orderDate, so date prefixes and ranges select on it directly.
        if dates.prefix is not None:
            condition += " AND begins_with(orderKey, :p)"
            values[":p"] = dates.prefix
        elif dates.start is not None and dates.end is not None:
            condition += " AND orderKey BETWEEN :s AND :e"
            values.update({":s": dates.start, ":e": dates.end})
        elif dates.start is not None:
            condition += " AND orderKey >= :s"
            values[":s"] = dates.start
        elif dates.end is not None:
            condition += " AND orderKey <= :e"
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
            # DynamoDB refuses a start key outside the key condition (a 500 if it got that far).
            if not ORDER_KEY.match(start["orderKey"]) or not dates.admits(start["orderKey"]):
                raise InvalidInputError(f"{_FOREIGN_TOKEN}: it belongs to other dates")
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
