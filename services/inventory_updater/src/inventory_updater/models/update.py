"""An inventory update as read from the queue. Validation failures make the message a poison message."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_TEXT_CHARS = 256
SEQUENCER_DIGITS = 32  # S3 sequencers are hex strings of varying length (18 digits today); padded to this width


class UploadSource(BaseModel):
    """Where the update came from: the uploaded object and S3's ``sequencer`` of its ObjectCreated event."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    bucket: str = Field(min_length=1)
    key: str = Field(min_length=1)
    sequencer: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f]{1,32}$")

    @property
    def upload_order(self) -> str:
        """Orders uploads of one S3 key: a digest of the key, then the sequencer, padded and upper-cased.

        AWS: sequencers are comparable only for events of the same key, after left-padding the shorter with zeros.
        """
        if self.sequencer is None:
            return ""
        key_digest = hashlib.sha256(f"{self.bucket}\0{self.key}".encode()).hexdigest()[:16]
        return f"{key_digest}:{self.sequencer.upper().rjust(SEQUENCER_DIGITS, '0')}"


class InventoryUpdate(BaseModel):
    """One row of an inventory file. Other fields are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    product_id: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    location: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    quantity: int = Field(ge=0, lt=10**15)
    update_date: datetime
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=128)
    source: UploadSource | None = None

    @field_validator("update_date", mode="before")
    @classmethod
    def _date_or_datetime(cls, value: object) -> object:
        # The file format allows a bare date; it means midnight UTC. Naive date-times are taken as UTC too.
        if isinstance(value, str) and len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        return value

    @field_validator("update_date")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def dedup_key(self) -> str:
        """The producer's idempotency key; for messages without one, a digest of their content."""
        if self.idempotency_key:
            return self.idempotency_key
        content = f"{self.product_id}\0{self.location}\0{self.quantity}\0{self.update_date.isoformat()}"
        return "sha256:" + hashlib.sha256(content.encode()).hexdigest()

    @property
    def upload_order(self) -> str:
        return self.source.upload_order if self.source else ""
