"""Lambda entrypoint ``inventory_updater.handlers.consume_updates.handler``: SQS batch of inventory updates.

Partial batch responses: each record succeeds or fails alone, so one poison message (bad JSON, missing or invalid
fields) is reported in ``batchItemFailures`` and retried alone until the queue's redrive moves it to the DLQ; the
event source mapping must enable ``ReportBatchItemFailures``. Every failed record is logged with its messageId and
cause. Stale and duplicate updates are successes: they leave the table as it is and the message is deleted; a stale
one is logged at INFO (the key, the winner, the loser) and counted in the ``StaleUpdates`` metric (EMF).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from lambda_common import aws
from lambda_common.logging import get_logger
from lambda_common.settings import load_settings
from pydantic import ValidationError

from inventory_updater.adapters.dynamodb import DynamoDbInventoryStore
from inventory_updater.domain.levels import Outcome, UpdateResult, apply_update
from inventory_updater.models.update import InventoryUpdate
from inventory_updater.settings import UpdaterSettings

settings = load_settings(UpdaterSettings)
logger = get_logger()
metrics = Metrics(namespace=settings.metrics_namespace)
# The body is parsed in record_handler rather than through a Powertools parser model: importing the parser's
# model package costs a few hundred ms of every cold start. A ValidationError there still fails only its record.
processor = BatchProcessor(event_type=EventType.SQS)
_outcomes: Counter[str] = Counter()  # per invocation, for the summary log line and the metrics
_METRICS = {Outcome.APPLIED: "AppliedUpdates", Outcome.DUPLICATE: "DuplicateUpdates", Outcome.STALE: "StaleUpdates"}


@lru_cache(maxsize=1)
def _store() -> DynamoDbInventoryStore:
    return DynamoDbInventoryStore(aws.client("dynamodb"), settings.inventory_table_name)


def record_handler(record: SQSRecord) -> str:
    try:
        update = InventoryUpdate.model_validate_json(record.body)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        logger.error("malformed inventory update", extra={"messageId": record.message_id, "reason": reasons})
        raise
    try:
        result = apply_update(update, _store())
    except Exception:
        logger.exception(
            "update not stored",
            extra={
                "messageId": record.message_id,
                "key": {"product_id": update.product_id, "location": update.location},
            },
        )
        raise
    _outcomes[result.outcome.value] += 1
    if result.outcome is Outcome.STALE:
        _log_stale(record, update, result)
    else:
        logger.debug(
            "update handled",
            extra={
                "outcome": result.outcome.value,
                "key": {"product_id": update.product_id, "location": update.location},
            },
        )
    return result.outcome.value


def _log_stale(record: SQSRecord, update: InventoryUpdate, result: UpdateResult) -> None:
    stored = result.stored
    logger.info(
        "stale update dropped",
        extra={
            "messageId": record.message_id,
            # Not "location" at the top level: Powertools' log record uses that name for the code location.
            "key": {"product_id": update.product_id, "location": update.location},
            "winner": {
                "sequence": stored.sequence if stored else None,
                "quantity": stored.quantity if stored else None,
            },
            "loser": {
                "sequence": result.level.sequence,
                "quantity": update.quantity,
                "source": update.source.model_dump() if update.source else None,
            },
        },
    )


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    _outcomes.clear()
    records = len(event.get("Records", []))
    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:  # also when every record failed (Powertools then raises, so the whole batch is retried)
        failed = records - sum(_outcomes.values())
        for outcome, name in _METRICS.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=_outcomes[outcome.value])
        metrics.add_metric(name="FailedUpdates", unit=MetricUnit.Count, value=failed)
        logger.info("batch handled", extra={"records": records, "failed": failed, **_outcomes})
