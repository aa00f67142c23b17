"""One inventory update, as the ingest function sends it to the queue (the updater's input contract)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SourceLine(BaseModel):
    """Where a message came from, so any level in the table can be traced back to a file and a line."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    version: str = Field(description="The object's version id, or its ETag when the bucket is not versioned")
    line: int = Field(ge=1)
    sequencer: str | None = Field(
        default=None, description="S3's sequencer of the upload's ObjectCreated event: orders uploads of one key"
    )


class InventoryUpdateMessage(BaseModel):
    """The SQS message body. ``idempotency_key`` is stable across re-ingests of the same object version."""

    model_config = ConfigDict(frozen=True)

    product_id: str
    location: str
    quantity: int = Field(ge=0)
    update_date: str = Field(description="As written in the file: an ISO-8601 date or date-time")
    idempotency_key: str
    source: SourceLine
