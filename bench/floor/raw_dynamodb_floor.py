"""The event floor with AWS: a plain handler and one boto3 DynamoDB client (made on the first event) reading one
item, what the event consumers add to the raw floor at the least."""

import os
from typing import Any

import boto3

_clients: dict[str, Any] = {}


def handler(event: Any, context: Any) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
    if "dynamodb" not in _clients:
        _clients["dynamodb"] = boto3.client("dynamodb")
    item = _clients["dynamodb"].get_item(TableName=os.environ["PRODUCT_TABLE_NAME"], Key={"id": {"S": event["id"]}})
    return {"ok": "Item" in item}
