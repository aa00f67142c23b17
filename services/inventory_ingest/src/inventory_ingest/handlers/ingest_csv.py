"""Lambda entrypoint ``inventory_ingest.handlers.ingest_csv.handler``: S3 ObjectCreated notification -> ingest.

Invoked asynchronously by S3. Every record of the notification is ingested, even when an earlier one fails; if any
failed, the invocation fails at the end with all causes, so Lambda's async retries (and then the failure
destination) take over. Re-ingesting is safe: messages carry idempotency keys and the updater ignores duplicates.
Each object's summary is logged ("ingest finished") and returned: rows sent, superseded (coalesced away), rejected
and blank add up to the file's data lines.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from lambda_common import aws
from lambda_common.errors import DependencyError, InvalidInputError
from lambda_common.logging import get_logger
from lambda_common.settings import load_settings
from pydantic import ValidationError

from inventory_ingest.adapters.concurrent import ConcurrentPublisher
from inventory_ingest.adapters.s3 import S3ObjectSource, S3RejectsStore
from inventory_ingest.adapters.sqs import SqsUpdatePublisher
from inventory_ingest.domain.ingest import CsvIngestor, IngestResult
from inventory_ingest.models.notification import S3Notification, S3TestEvent
from inventory_ingest.ports import ObjectRef
from inventory_ingest.settings import IngestSettings

settings = load_settings(IngestSettings)
logger = get_logger()


class IngestFailedError(DependencyError):
    """One or more objects of the notification could not be ingested; the invocation must be retried."""


@lru_cache(maxsize=1)
def _ingestor() -> CsvIngestor:
    s3 = aws.client("s3")
    return CsvIngestor(
        source=S3ObjectSource(s3),
        # Below botocore's default pool of 10 connections per client.
        publisher=ConcurrentPublisher(
            SqsUpdatePublisher(aws.client("sqs"), settings.inventory_queue_url), max_in_flight=8
        ),
        rejects=S3RejectsStore(s3),
        rejects_prefix=settings.rejects_prefix,
        window_keys=settings.coalesce_window_keys,
    )


def _parse(event: Any) -> S3Notification | None:
    """The notification, or None for S3's test event; a malformed event is an :class:`InvalidInputError`."""
    if isinstance(event, dict) and event.get("Event") == "s3:TestEvent":
        S3TestEvent.model_validate(event)
        return None
    try:
        return S3Notification.model_validate(event)
    except ValidationError as exc:
        raise InvalidInputError(f"not an S3 event notification: {exc}") from exc


@logger.inject_lambda_context
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001 - used by the decorator
    notification = _parse(event)
    if notification is None:
        logger.info("ignoring s3:TestEvent")
        return {"results": []}
    results: list[IngestResult] = []
    failures: list[str] = []
    for record in notification.records:
        obj = record.s3.object
        ref = ObjectRef(record.s3.bucket.name, obj.key, obj.version_id, obj.e_tag, obj.sequencer)
        if not record.is_object_created:
            logger.info("ignoring event", extra={"event_name": record.event_name, "key": ref.key})
            continue
        try:
            result = _ingestor().ingest(ref)
        except Exception as exc:  # every record gets its turn; the failures are raised together below
            logger.exception("ingest failed", extra={"bucket": ref.bucket, "key": ref.key})
            failures.append(f"s3://{ref.bucket}/{ref.key}: {type(exc).__name__}: {exc}")
            continue
        logger.info("ingest finished", extra=_summary(result))
        results.append(result)
    if failures:
        raise IngestFailedError(f"{len(failures)} object(s) not ingested: " + " | ".join(failures))
    return {"results": [_summary(r) for r in results]}


def _summary(result: IngestResult) -> dict[str, Any]:
    return {
        "bucket": result.bucket,
        "key": result.key,
        "outcome": result.outcome.value,
        "sent": result.sent,
        "superseded": result.superseded,
        "rejected": result.rejected,
        "blank": result.blank,
        "rejects_key": result.rejects_key,
        "reason": result.reason,
    }
