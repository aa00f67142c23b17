"""DynamoDB adapter: one conditional PutItem per update, on the table keyed (product_id, location)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inventory_updater.models.level import InventoryLevel
from inventory_updater.ports import StoredLevel, WriteRejected

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDbInventoryStore:
    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table_name = table_name

    def put_if_newer(self, level: InventoryLevel) -> None:
        # A put, not an update: a level item is exactly these attributes, all written every time, so replacing the
        # item is the same as setting them, and it spares an update expression (moto parses and validates those
        # at ~twice the cost of a put: 13.5 vs 7.3 ms here). Same write capacity on AWS.
        try:
            self._dynamodb.put_item(
                TableName=self._table_name,
                Item={
                    "product_id": {"S": level.product_id},
                    "location": {"S": level.location},
                    "quantity": {"N": str(level.quantity)},
                    "update_date": {"S": level.update_date},
                    "sequence": {"S": level.sequence},
                    "idempotency_key": {"S": level.idempotency_key},
                },
                ConditionExpression="attribute_not_exists(#s) OR #s < :s",
                ExpressionAttributeNames={"#s": "sequence"},
                ExpressionAttributeValues={":s": {"S": level.sequence}},
                # On a failed condition, return the stored item so the caller can tell a duplicate from a stale update.
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException as exc:
            response: Any = exc.response
            item = response.get("Item") or {}
            sequence = item.get("sequence", {}).get("S")
            quantity = item.get("quantity", {}).get("N")
            stored = StoredLevel(sequence, int(quantity) if quantity is not None else None) if sequence else None
            raise WriteRejected(stored) from None
