"""Lambda entrypoint `ordering.handlers.consume_checkout.handler`: CheckoutBasket events from the order queue.

Each SQS message body is the whole EventBridge event (the bus rule targets the queue). Records are processed one
by one with a partial batch response: a bad record is reported alone, its neighbours are not retried, and after
maxReceiveCount it lands in the DLQ. Its cause is logged here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from lambda_common import aws
from lambda_common.logging import get_logger
from lambda_common.settings import load_settings
from pydantic import ValidationError

from ordering.domain.orders import OrderBook
from ordering.models.events import CheckoutBasketEvent
from ordering.settings import OrderingSettings

settings = load_settings(OrderingSettings)
logger = get_logger()
# Report failures even when every record failed, instead of raising: the answer stays a precise list.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class MalformedMessageError(ValueError):
    """The message is not a well-formed CheckoutBasket event. It fails until it reaches the DLQ."""


@cache
def get_orders() -> OrderBook:
    from ordering.adapters.dynamodb import DynamoOrderRepository

    return OrderBook(DynamoOrderRepository(aws.client("dynamodb"), settings.order_table_name))


def parse(body: str) -> CheckoutBasketEvent:
    try:
        return CheckoutBasketEvent.model_validate_json(body)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        raise MalformedMessageError(f"malformed CheckoutBasket message: {reasons}") from None


def record_handler(record: SQSRecord) -> None:
    try:
        event = parse(record.body)
    except MalformedMessageError as exc:
        logger.error(str(exc), extra={"messageId": record.message_id})
        raise
    checkout = event.detail.data
    logger.set_correlation_id(event.detail.metadata.correlation_id)
    try:
        created = get_orders().place(checkout)
        logger.info(
            "order created" if created else "duplicate delivery; order already exists",
            extra={"orderId": checkout.checkoutId, "userName": checkout.userName, "messageId": record.message_id},
        )
    except Exception:
        logger.exception("order not stored", extra={"orderId": checkout.checkoutId, "messageId": record.message_id})
        raise
    finally:
        logger.set_correlation_id(None)


def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
