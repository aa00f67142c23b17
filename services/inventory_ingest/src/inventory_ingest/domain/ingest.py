"""Ingest one uploaded inventory CSV: stream it, coalesce valid rows per key, send the winners in batches, report
invalid ones."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from inventory_ingest.domain.coalesce import DEFAULT_WINDOW_KEYS, CoalescingWindow
from inventory_ingest.domain.lines import iter_lines
from inventory_ingest.domain.rows import HeaderError, Row, column_order, parse_row
from inventory_ingest.models.inventory import InventoryUpdateMessage, SourceLine
from inventory_ingest.models.rejection import Rejection
from inventory_ingest.ports import ObjectGoneError, ObjectRef, ObjectSource, RejectsStore, UpdatePublisher

REJECTS_SUFFIX = ".rejects.csv"


class Outcome(StrEnum):
    INGESTED = "ingested"  # every line was sent or reported
    FILE_REJECTED = "file_rejected"  # no usable header: nothing sent, the report says why
    SKIPPED = "skipped"  # not an upload (e.g. a rejects report)
    GONE = "gone"  # deleted or overwritten before we read it; a newer notification covers the new content


@dataclass(frozen=True, slots=True)
class IngestResult:
    bucket: str
    key: str
    outcome: Outcome
    version: str | None = None
    sent: int = 0  # messages queued
    superseded: int = 0  # valid rows not sent: a later row of the same file sets the same level (see coalesce.py)
    rejected: int = 0
    blank: int = 0
    rejects_key: str | None = None
    reason: str | None = None


def rejects_key_for(prefix: str, key: str) -> str:
    """``uploads/a.csv`` -> ``rejects/uploads/a.csv.rejects.csv``: next to the upload, under a prefix never ingested."""
    return f"{prefix}{key}{REJECTS_SUFFIX}"


def source_digest(bucket: str, key: str, etag: str) -> str:
    return hashlib.sha256(f"{bucket}\0{key}\0{etag.strip(chr(34))}".encode()).hexdigest()[:32]


def idempotency_key(bucket: str, key: str, etag: str, line: int) -> str:
    """The same line of the same content under the same key -> the same key, on every re-ingest.

    Derived from the ETag (the content) rather than the version id: re-uploading an identical file to a versioned
    bucket creates a new version but must not count as new updates. The version id still pins what is read.
    Keys sort by line within one file.
    """
    return f"{source_digest(bucket, key, etag)}:{line:010d}"


class CsvIngestor:
    """Reads one object at a time through the ports; holds at most ``window_keys`` pending rows and one batch."""

    def __init__(
        self,
        *,
        source: ObjectSource,
        publisher: UpdatePublisher,
        rejects: RejectsStore,
        rejects_prefix: str,
        window_keys: int = DEFAULT_WINDOW_KEYS,
    ) -> None:
        self._source = source
        self._publisher = publisher
        self._rejects = rejects
        self._rejects_prefix = rejects_prefix
        self._window_keys = window_keys

    def ingest(self, ref: ObjectRef) -> IngestResult:
        """Ingest one object.

        Raises
        ------
        Exception
            Whatever the publisher or the object stream raises: the caller must fail the invocation so the upload
            is retried (messages already sent are harmless duplicates, thanks to their idempotency keys).
        """
        if ref.key.startswith(self._rejects_prefix):
            return IngestResult(ref.bucket, ref.key, Outcome.SKIPPED, reason="under the rejects prefix")
        try:
            opened = self._source.open(ref)
        except ObjectGoneError as exc:
            return IngestResult(ref.bucket, ref.key, Outcome.GONE, reason=str(exc))
        # S3 reports "null" as the version of objects written while versioning was off.
        version = opened.version_id if opened.version_id and opened.version_id != "null" else opened.etag.strip('"')
        report_key = rejects_key_for(self._rejects_prefix, ref.key)
        report = self._rejects.new_report()
        try:
            lines = iter_lines(opened.chunks)
            header = next(lines, None)
            try:
                if header is None:
                    raise HeaderError("empty file: no header line")
                order = column_order(header)
            except HeaderError as exc:
                content = header.data.decode("utf-8", errors="replace") if header else ""
                report.add(Rejection(1, str(exc), content))
                report.save(ref.bucket, report_key)
                return IngestResult(
                    ref.bucket, ref.key, Outcome.FILE_REJECTED, version, rejected=1, rejects_key=report_key,
                    reason=str(exc),
                )  # fmt: skip

            digest = source_digest(ref.bucket, ref.key, opened.etag)
            window = CoalescingWindow(self._window_keys)
            sent = rejected = blank = 0
            batch: list[InventoryUpdateMessage] = []
            max_batch = self._publisher.max_batch

            def send(rows: Sequence[Row]) -> None:
                nonlocal batch, sent
                for row in rows:
                    batch.append(_message(ref, version, digest, row))
                    if len(batch) >= max_batch:
                        self._publisher.publish(batch)
                        sent += len(batch)
                        batch = []

            try:
                for line in lines:
                    parsed = parse_row(line, order)
                    if parsed is None:
                        blank += 1
                    elif isinstance(parsed, Rejection):
                        report.add(parsed)
                        rejected += 1
                    else:
                        ready = window.add(parsed)
                        if ready:
                            send(ready)
                send(window.drain())
                if batch:
                    self._publisher.publish(batch)
                    sent += len(batch)
            except BaseException:
                # Settle batches still in flight so none of them outlives this call; the first error is the one
                # worth reporting.
                with contextlib.suppress(Exception):
                    self._publisher.flush()
                raise
            self._publisher.flush()  # the report and the result only once every message is in the queue

            if rejected:
                report.save(ref.bucket, report_key)
            else:
                self._rejects.remove(ref.bucket, report_key)
            return IngestResult(
                ref.bucket, ref.key, Outcome.INGESTED, version, sent=sent, superseded=window.superseded,
                rejected=rejected, blank=blank, rejects_key=report_key if rejected else None,
            )  # fmt: skip
        finally:
            report.close()


def _message(ref: ObjectRef, version: str, digest: str, row: Row) -> InventoryUpdateMessage:
    # model_construct skips re-validating what parse_row has just validated (a third of the per-row cost).
    return InventoryUpdateMessage.model_construct(
        product_id=row.product_id,
        location=row.location,
        quantity=row.quantity,
        update_date=row.update_date,
        idempotency_key=f"{digest}:{row.line:010d}",
        source=SourceLine.model_construct(
            bucket=ref.bucket, key=ref.key, version=version, line=row.line, sequencer=ref.sequencer
        ),
    )
