"""Settings of the product functions, validated at cold start."""

from __future__ import annotations

from lambda_common.settings import ServiceSettings
from pydantic import Field


class ProductSettings(ServiceSettings):
    product_table_name: str = Field(alias="PRODUCT_TABLE_NAME", min_length=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
