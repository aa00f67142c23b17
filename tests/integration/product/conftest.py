"""Product handler and adapter tests against moto (in-process ``mock_aws``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lambda_common import aws
from moto import mock_aws

# Settings are read when the handler module is imported, so they are set before any test module imports it.
os.environ.setdefault("PRODUCT_TABLE_NAME", "product-test")
os.environ.setdefault("EVENT_BUS_NAME", "swn-test-bus")

NO_CONTEXT: Any = None  # the handlers ignore the Lambda context object

EVENTS_DIR = Path(__file__).parents[3] / "services" / "product" / "events"


def _clear_caches() -> None:
    from product.handlers import api

    api.get_catalog.cache_clear()


def _drop_clients_moto_would_miss() -> None:
    """The process-wide boto3 clients are reused across tests (creating them is the slow part), unless another
    test left them bound to a custom endpoint, which moto does not intercept."""
    endpoints = (aws.resource("dynamodb").meta.client.meta.endpoint_url, aws.client("events").meta.endpoint_url)
    if not all(url.endswith(".amazonaws.com") for url in endpoints):
        aws.client.cache_clear()
        aws.resource.cache_clear()
        aws._session.cache_clear()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL") or n == "AWS_PROFILE"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        _clear_caches()
        _drop_clients_moto_would_miss()
        yield
    _clear_caches()


@pytest.fixture
def product_table(aws_env: None) -> Any:
    dynamodb = aws.resource("dynamodb")
    return dynamodb.create_table(
        TableName=os.environ["PRODUCT_TABLE_NAME"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "category", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "category-index",
                "KeySchema": [{"AttributeName": "category", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


@pytest.fixture
def captured_events(aws_env: None) -> Callable[[], list[dict[str, Any]]]:
    """The bus, with a rule copying every product event to a queue; returns a function draining that queue."""
    events = aws.client("events")
    sqs = aws.client("sqs")
    bus = os.environ["EVENT_BUS_NAME"]
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName="captured")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["com.swn.product"]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])

    def drain() -> list[dict[str, Any]]:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    return drain


@pytest.fixture
def api_event() -> Callable[..., dict[str, Any]]:
    """Build an API Gateway REST (v1) proxy event from the shipped sample, as the prod stage delivers it."""
    template = json.loads((EVENTS_DIR / "get-product.json").read_text())

    def build(
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        resource: str | None = None,
        path_parameters: dict[str, str] | None = None,
        stage_in_path: bool = True,
    ) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(json.dumps(template))
        event.update(
            httpMethod=method,
            path=path,
            resource=resource or path,
            pathParameters=path_parameters,
            queryStringParameters=query,
            multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
            body=body if body is None or isinstance(body, str) else json.dumps(body),
        )
        if body is not None:
            event["headers"]["Content-Type"] = "application/json"
            event["multiValueHeaders"]["Content-Type"] = ["application/json"]
        event["requestContext"].update(
            httpMethod=method,
            resourcePath=event["resource"],
            path=f"/prod{path}" if stage_in_path else path,
            requestId=f"req-{method}-{path}",
        )
        return event

    return build


Response = tuple[int, Any, dict[str, str]]


@pytest.fixture
def invoke(product_table: Any) -> Callable[[dict[str, Any]], Response]:
    """Invoke the Lambda handler as the runtime would and decode its proxy response: (status, body, headers)."""
    from product.handlers.api import handler

    def call(event: dict[str, Any]) -> Response:
        response = handler(event, NO_CONTEXT)
        body = response.get("body") or ""
        decoded = json.loads(body) if body[:1] in ("[", "{") else body
        return response["statusCode"], decoded, response["headers"]

    return call
