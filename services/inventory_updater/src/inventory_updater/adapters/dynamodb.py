"""DynamoDB adapter: one conditional UpdateItem per update, on the table keyed (product_id, location)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inventory_updater.domain.levels import InventoryLevel
from inventory_updater.ports import WriteRejected

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDbInventoryStore:
    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table_name = table_name

    def put_if_newer(self, level: InventoryLevel) -> None:
        try:
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key={"product_id": {"S": level.product_id}, "location": {"S": level.location}},
                # "location" is a DynamoDB reserved word, hence names for everything.
                UpdateExpression="SET #q = :q, #d = :d, #s = :s, #k = :k",
                ConditionExpression="attribute_not_exists(#s) OR #s < :s",
                ExpressionAttributeNames={
                    "#q": "quantity",
                    "#d": "update_date",
                    "#s": "sequence",
                    "#k": "idempotency_key",
                },
                ExpressionAttributeValues={
                    ":q": {"N": str(level.quantity)},
                    ":d": {"S": level.update_date},
                    ":s": {"S": level.sequence},
                    ":k": {"S": level.idempotency_key},
                },
                # On a failed condition, return the stored item so the caller can tell a duplicate from a stale update.
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException as exc:
            response: Any = exc.response
            current = (response.get("Item") or {}).get("sequence", {}).get("S")
            raise WriteRejected(current) from None
