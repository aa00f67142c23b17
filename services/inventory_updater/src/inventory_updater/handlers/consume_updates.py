"""Lambda entrypoint ``inventory_updater.handlers.consume_updates.handler``: SQS batch of inventory updates.

Partial batch responses: each record succeeds or fails alone, so one poison message (bad JSON, missing or invalid
fields) is reported in ``batchItemFailures`` and retried alone until the queue's redrive moves it to the DLQ; the
event source mapping must enable ``ReportBatchItemFailures``. Stale and duplicate updates are successes: they leave
the table as it is and the message is deleted.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from lambda_common import aws
from lambda_common.logging import get_logger
from lambda_common.settings import load_settings

from inventory_updater.adapters.dynamodb import DynamoDbInventoryStore
from inventory_updater.domain.levels import apply_update
from inventory_updater.models.update import InventoryUpdate
from inventory_updater.settings import UpdaterSettings

settings = load_settings(UpdaterSettings)
logger = get_logger()
# The body is parsed in record_handler rather than through a Powertools parser model: importing the parser's
# model package costs a few hundred ms of every cold start. A ValidationError there still fails only its record.
processor = BatchProcessor(event_type=EventType.SQS)
_outcomes: Counter[str] = Counter()  # per invocation, for the summary log line


@lru_cache(maxsize=1)
def _store() -> DynamoDbInventoryStore:
    return DynamoDbInventoryStore(aws.client("dynamodb"), settings.inventory_table_name)


def record_handler(record: SQSRecord) -> str:
    update = InventoryUpdate.model_validate_json(record.body)
    outcome = apply_update(update, _store())
    _outcomes[outcome.value] += 1
    logger.debug(
        "update handled",
        extra={"outcome": outcome.value, "product_id": update.product_id, "location": update.location},
    )
    return outcome.value


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    _outcomes.clear()
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    logger.info(
        "batch handled",
        extra={"records": len(event.get("Records", [])), "failed": len(response["batchItemFailures"]), **_outcomes},
    )
    return response
