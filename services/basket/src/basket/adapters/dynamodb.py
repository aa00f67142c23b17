"""The basket table (PK ``userName``) and the product table as basket reads it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from lambda_common.dynamodb import from_item, to_item
from lambda_common.errors import DependencyError

from basket.models.basket import Basket, ProductInfo

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_BATCH_GET_ATTEMPTS = 5


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoBasketRepository:
    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def get(self, user_name: str) -> Basket | None:
        try:
            item = self._dynamodb.get_item(
                TableName=self._table, Key=to_item({"userName": user_name}), ConsistentRead=True
            ).get("Item")
        except (BotoCoreError, ClientError) as exc:
            raise DependencyError(f"basket table get failed: {exc}") from exc
        return Basket.model_validate(from_item(item)) if item else None

    def put(self, basket: Basket, *, expected_revision: str | None = None) -> bool:
        kwargs: dict[str, Any] = {"TableName": self._table, "Item": to_item(basket.to_item())}
        if expected_revision is not None:
            kwargs |= _revision_is(expected_revision)
        else:  # Replacing a basket must not drop a pending checkout (its claim is the order's outbox).
            kwargs |= {
                "ConditionExpression": "attribute_not_exists(checkout) OR checkout.#state = :done",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": to_item({":done": "done"}),
            }
        return self._write("put", lambda: self._dynamodb.put_item(**kwargs))

    def delete(self, user_name: str, *, expected_revision: str | None = None) -> bool:
        kwargs: dict[str, Any] = {"TableName": self._table, "Key": to_item({"userName": user_name})}
        if expected_revision is not None:
            kwargs |= _revision_is(expected_revision)
        else:
            kwargs["ConditionExpression"] = "attribute_exists(userName)"
        return self._write("delete", lambda: self._dynamodb.delete_item(**kwargs))

    def containing(self, product_id: str) -> Iterator[Basket]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "contains(productIds, :p)",
            "ExpressionAttributeValues": to_item({":p": product_id}),
        }
        while True:
            try:
                page = self._dynamodb.scan(**kwargs)
            except (BotoCoreError, ClientError) as exc:
                raise DependencyError(f"basket table scan failed: {exc}") from exc
            yield from (Basket.model_validate(from_item(item)) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _write(self, what: str, call: Any) -> bool:
        try:
            call()
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise DependencyError(f"basket table {what} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise DependencyError(f"basket table {what} failed: {exc}") from exc
        return True


def _revision_is(revision: str) -> dict[str, Any]:
    return {"ConditionExpression": "revision = :r", "ExpressionAttributeValues": to_item({":r": revision})}


class DynamoProductLookup:
    """Reads name and price of products with BatchGetItem (read-only use of the product table)."""

    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table_name = table_name

    def find(self, product_ids: Iterable[str]) -> dict[str, ProductInfo]:
        keys: list[dict[str, Any]] = [to_item({"id": pid}) for pid in sorted(set(product_ids))]
        found: dict[str, ProductInfo] = {}
        request: dict[str, Any] = {
            self._table_name: {
                "Keys": keys,
                "ProjectionExpression": "#id, #name, price",
                "ExpressionAttributeNames": {"#id": "id", "#name": "name"},
            }
        }
        for _ in range(_BATCH_GET_ATTEMPTS):
            if not keys:
                return found
            try:
                result = self._dynamodb.batch_get_item(RequestItems=request)
            except (BotoCoreError, ClientError) as exc:
                raise DependencyError(f"product table read failed: {exc}") from exc
            for raw in result.get("Responses", {}).get(self._table_name, []):
                item = from_item(raw)
                found[str(item["id"])] = ProductInfo.model_validate(item)
            request = dict(result.get("UnprocessedKeys") or {})
            keys = request.get(self._table_name, {}).get("Keys", [])
        raise DependencyError("product table kept throttling the batch read")
