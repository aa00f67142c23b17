"""Settings of the ingest function, validated at cold start."""

from __future__ import annotations

from lambda_common.settings import ServiceSettings
from pydantic import Field, field_validator

from inventory_ingest.domain.coalesce import DEFAULT_WINDOW_KEYS


class IngestSettings(ServiceSettings):
    inventory_queue_url: str = Field(alias="INVENTORY_QUEUE_URL", min_length=1)
    # Reports are written under this prefix of the upload's bucket; uploads under it are never ingested.
    rejects_prefix: str = Field(default="rejects/", alias="REJECTS_PREFIX", min_length=1)
    # Rows are coalesced per (product_id, location) in a window of this many keys (about 0.5 KB each): the bound
    # on the function's memory, whatever the file's size. Larger windows merge more rows of files with many keys.
    coalesce_window_keys: int = Field(default=DEFAULT_WINDOW_KEYS, alias="COALESCE_WINDOW_KEYS", ge=1, le=200_000)

    @field_validator("rejects_prefix")
    @classmethod
    def _ends_with_slash(cls, value: str) -> str:
        # A prefix without "/" would also match ordinary keys such as "rejects_2024.csv".
        if not value.endswith("/"):
            raise ValueError("must end with '/'")
        return value
