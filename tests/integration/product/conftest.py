"""Product handler and adapter tests against moto (in-process ``mock_aws``)."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lambda_common import aws

# Settings are read when the handler module is imported, so they are set before any test module imports it.
os.environ.setdefault("PRODUCT_TABLE_NAME", "product-test")
os.environ.setdefault("EVENT_BUS_NAME", "swn-test-bus")

NO_CONTEXT: Any = None  # the handlers ignore the Lambda context object

EVENTS_DIR = Path(__file__).parents[3] / "services" / "product" / "events"


def _clear_caches() -> None:
    from product.handlers import api

    api.product_catalog.cache_clear()


@pytest.fixture
def aws_env(moto_aws: None) -> Iterator[None]:
    _clear_caches()
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


Drain = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def captured_events(aws_env: None, capture_events: Callable[[dict[str, Any]], Drain]) -> Drain:
    """The bus, with a rule copying every product event to a queue; returns a function draining that queue."""
    return capture_events({"source": ["com.swn.product"]})


@pytest.fixture
def api_event(
    make_api_event: Callable[..., dict[str, Any]], claims_for: Callable[..., dict[str, str]]
) -> Callable[..., dict[str, Any]]:
    """Build an API Gateway REST (v1) proxy event from the shipped sample, as the prod stage delivers it."""
    template = json.loads((EVENTS_DIR / "get-product.json").read_text())
    # As a member of admins, who may write (reads need no caller; tests/integration/product checks both).
    return functools.partial(make_api_event, template, claims=claims_for("admin", "admins"))


Response = tuple[int, Any, dict[str, str]]  # as tests/integration/conftest.py's call_api returns


@pytest.fixture
def invoke(product_table: Any, call_api: Callable[..., Response]) -> Callable[[dict[str, Any]], Response]:
    """Invoke the API handler as the runtime would and decode its proxy response: (status, body, headers)."""
    from product.handlers.api import handler

    return functools.partial(call_api, handler)
