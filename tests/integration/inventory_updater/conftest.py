"""Fixtures of the updater's integration tests: the inventory table of the conventions, in moto."""

from __future__ import annotations

import boto3
import pytest

TABLE = "inventory"


@pytest.fixture
def inventory_table(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """Creates the table keyed (product_id, location) and points INVENTORY_TABLE_NAME at it; returns its name."""
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "product_id", "KeyType": "HASH"},
            {"AttributeName": "location", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "product_id", "AttributeType": "S"},
            {"AttributeName": "location", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("INVENTORY_TABLE_NAME", TABLE)
    return TABLE
