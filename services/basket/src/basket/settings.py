"""Settings of the basket functions, validated at cold start."""

from __future__ import annotations

from lambda_common.settings import ServiceSettings
from pydantic import Field


class BasketSettings(ServiceSettings):
    basket_table_name: str = Field(alias="BASKET_TABLE_NAME", min_length=1)
    product_table_name: str = Field(alias="PRODUCT_TABLE_NAME", min_length=1)


class BasketApiSettings(BasketSettings):
    """The API also checks out: it publishes to the bus and remembers answers by Idempotency-Key."""

    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    idempotency_table_name: str = Field(alias="IDEMPOTENCY_TABLE_NAME", min_length=1)
