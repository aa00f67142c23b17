"""Settings of the ordering functions, validated at cold start."""

from __future__ import annotations

from lambda_common.settings import ServiceSettings
from pydantic import Field


class OrderingSettings(ServiceSettings):
    order_table_name: str = Field(alias="ORDER_TABLE_NAME", min_length=1)
