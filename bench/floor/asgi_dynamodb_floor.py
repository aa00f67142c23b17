"""The REST floor the services are held to (issue 13): FastAPI+Mangum, one async route, and one boto3 DynamoDB
client (made on the first request) reading the same seeded item as the product service's GET."""

import os
from typing import Any

import boto3
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
_clients: dict[str, Any] = {}


@app.get("/product/{id}")
async def get_product(id: str) -> dict[str, Any]:  # noqa: A002 - matches the route
    if "dynamodb" not in _clients:
        _clients["dynamodb"] = boto3.client("dynamodb")
    item = _clients["dynamodb"].get_item(TableName=os.environ["PRODUCT_TABLE_NAME"], Key={"id": {"S": id}})["Item"]
    return {"id": item["id"]["S"], "name": item["name"]["S"]}


handler = Mangum(app, lifespan="off")
