"""The product table (PK ``id``; GSI ``category-index`` on ``category``)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from lambda_common import page_token as tokens
from lambda_common.dynamodb import from_item, to_item
from lambda_common.errors import DependencyError, InvalidInputError, NotFoundError

from product.models.product import Product, ProductPage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CATEGORY_INDEX = "category-index"
_TABLE_KEYS = frozenset({"id"})
_INDEX_KEYS = frozenset({"id", "category"})


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoProductRepository:
    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def get(self, product_id: str) -> Product | None:
        try:
            item = self._dynamodb.get_item(TableName=self._table, Key=to_item({"id": product_id})).get("Item")
        except (BotoCoreError, ClientError) as exc:
            raise DependencyError(f"product table get failed: {exc}") from exc
        return Product.model_validate(from_item(item)) if item else None

    def list(self, *, limit: int, page_token: str | None, category: str | None) -> ProductPage:
        kwargs: dict[str, Any] = {"TableName": self._table, "Limit": limit}
        if category is None:
            start = tokens.decode(page_token, keys=_TABLE_KEYS)
        else:
            start = tokens.decode(page_token, keys=_INDEX_KEYS)
            if start is not None and start["category"] != category:
                raise InvalidInputError("nextToken belongs to a different category")
        if start is not None:
            kwargs["ExclusiveStartKey"] = to_item(start)
        try:
            if category is None:
                page = self._dynamodb.scan(**kwargs)
            else:
                page = self._dynamodb.query(
                    IndexName=CATEGORY_INDEX,
                    KeyConditionExpression="#c = :c",
                    ExpressionAttributeNames={"#c": "category"},
                    ExpressionAttributeValues=to_item({":c": category}),
                    **kwargs,
                )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyError(f"product table list failed: {exc}") from exc
        last_key = page.get("LastEvaluatedKey")
        return ProductPage(
            items=[Product.model_validate(from_item(item)) for item in page.get("Items", [])],
            nextToken=tokens.encode(from_item(last_key) if last_key else None),
        )

    def create(self, product: Product) -> None:
        try:
            self._dynamodb.put_item(
                TableName=self._table, Item=to_item(product.to_item()), ConditionExpression="attribute_not_exists(id)"
            )
        except ClientError as exc:
            if _conditional_failed(exc):  # A uuid4 clash: vanishingly rare, but never overwrite.
                raise DependencyError("product id collision, please retry") from exc
            raise DependencyError(f"product table put failed: {exc}") from exc
        except BotoCoreError as exc:
            raise DependencyError(f"product table put failed: {exc}") from exc

    def update(self, product_id: str, changes: dict[str, Any]) -> tuple[Product, Product]:
        names = {f"#f{i}": field for i, field in enumerate(changes)}
        values = {f":v{i}": value for i, value in enumerate(changes.values())}
        assignments = ", ".join(f"#f{i} = :v{i}" for i in range(len(changes)))
        try:
            old = self._dynamodb.update_item(
                TableName=self._table,
                Key=to_item({"id": product_id}),
                UpdateExpression=f"SET {assignments}",
                ConditionExpression="attribute_exists(id)",  # PUT never creates
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
                ReturnValues="ALL_OLD",
            )["Attributes"]
        except ClientError as exc:
            if _conditional_failed(exc):
                raise NotFoundError(f"product {product_id} not found") from exc
            raise DependencyError(f"product table update failed: {exc}") from exc
        except BotoCoreError as exc:
            raise DependencyError(f"product table update failed: {exc}") from exc
        before = Product.model_validate(from_item(old))
        return before, before.model_copy(update=changes)

    def restore_price(self, product_id: str, *, price: Decimal, only_if: Decimal) -> bool:
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=to_item({"id": product_id}),
                UpdateExpression="SET price = :old",
                ConditionExpression="price = :new",
                ExpressionAttributeValues=to_item({":old": price, ":new": only_if}),
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise DependencyError(f"product table update failed: {exc}") from exc
        except BotoCoreError as exc:
            raise DependencyError(f"product table update failed: {exc}") from exc
        return True

    def delete(self, product_id: str) -> None:
        try:
            self._dynamodb.delete_item(
                TableName=self._table, Key=to_item({"id": product_id}), ConditionExpression="attribute_exists(id)"
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                raise NotFoundError(f"product {product_id} not found") from exc
            raise DependencyError(f"product table delete failed: {exc}") from exc
        except BotoCoreError as exc:
            raise DependencyError(f"product table delete failed: {exc}") from exc
