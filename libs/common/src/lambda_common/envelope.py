"""The envelope of events this system publishes: metadata plus a typed payload."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Generic, TypeVar
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

PayloadT = TypeVar("PayloadT", bound=BaseModel)


def _now() -> datetime:
    return datetime.now(UTC)


class EventMetadata(BaseModel):
    """Who emitted an event, when, and the correlation id that ties one flow together across hops."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    event_id: str = Field(default_factory=lambda: str(uuid4()), alias="eventId")
    event_version: str = Field(default="1", alias="eventVersion")
    correlation_id: str = Field(default_factory=lambda: str(uuid4()), alias="correlationId")
    created_at: datetime = Field(default_factory=_now, alias="createdAt")


class Event(BaseModel, Generic[PayloadT]):
    """An EventBridge ``detail``: ``{"metadata": {...}, "data": {...}}``."""

    model_config = ConfigDict(frozen=True)

    metadata: EventMetadata = Field(default_factory=EventMetadata)
    data: PayloadT
