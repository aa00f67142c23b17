"""Settings of the updater function, validated at cold start."""

from __future__ import annotations

from lambda_common.settings import ServiceSettings
from pydantic import Field


class UpdaterSettings(ServiceSettings):
    inventory_table_name: str = Field(alias="INVENTORY_TABLE_NAME", min_length=1)
    # CloudWatch namespace of the updater's metrics (AppliedUpdates, DuplicateUpdates, StaleUpdates, FailedUpdates).
    metrics_namespace: str = Field(default="Inventory", alias="POWERTOOLS_METRICS_NAMESPACE", min_length=1)
