"""What the ingest domain needs from the outside world. Adapters in ``adapters/`` implement these over boto3."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from inventory_ingest.models.inventory import InventoryUpdateMessage
from inventory_ingest.models.rejection import Rejection


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An object named by a notification. ``version_id``/``etag`` pin the exact content the notification announced;
    ``sequencer`` (S3's, hex) orders the uploads of one key."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    sequencer: str | None = None


@dataclass(frozen=True, slots=True)
class OpenedObject:
    """An object being read: its identity (as S3 reports it) and its bytes, in chunks, read on demand."""

    version_id: str | None
    etag: str
    chunks: Iterator[bytes]


class ObjectGoneError(Exception):
    """The announced object no longer exists, or has been overwritten since (its own notification will follow)."""


class ObjectSource(Protocol):
    def open(self, ref: ObjectRef) -> OpenedObject:
        """Start streaming the object; raise :class:`ObjectGoneError` if that version is no longer there."""
        ...


class UpdatePublisher(Protocol):
    max_batch: int

    def publish(self, messages: Sequence[InventoryUpdateMessage]) -> None:
        """Send up to ``max_batch`` messages, or queue them for sending; raise if sending failed (this or earlier)."""
        ...

    def flush(self) -> None:
        """Return once every message handed to :meth:`publish` is accepted; raise if any could not be."""
        ...


class RejectsReport(Protocol):
    """A report being written; rows are kept out of memory by the adapter, however many there are."""

    def add(self, rejection: Rejection) -> None: ...

    def save(self, bucket: str, key: str) -> None: ...

    def close(self) -> None: ...


class RejectsStore(Protocol):
    def new_report(self) -> RejectsReport: ...

    def remove(self, bucket: str, key: str) -> None:
        """Delete an earlier report for the same key (a clean re-upload must not leave a stale report)."""
        ...
