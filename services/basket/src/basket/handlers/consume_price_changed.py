"""Lambda entrypoint `basket.handlers.consume_price_changed.handler`: ProductPriceChanged -> open baskets.

An EventBridge rule invokes this asynchronously. A malformed event raises MalformedEventError, so Lambda's
async retries and then the failure destination keep it (with the cause in the log and the error message).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from lambda_common import aws
from lambda_common.logging import get_logger
from lambda_common.settings import load_settings
from pydantic import ValidationError

from basket.domain.baskets import BasketService
from basket.models.events import PriceChangedNotification
from basket.settings import BasketSettings

settings = load_settings(BasketSettings)
logger = get_logger()


class MalformedEventError(ValueError):
    """The event is not a well-formed ProductPriceChanged event. Retrying will not help."""


@cache
def get_baskets() -> BasketService:
    from basket.adapters.dynamodb import DynamoBasketRepository, DynamoProductLookup

    dynamodb = aws.client("dynamodb")
    return BasketService(
        DynamoBasketRepository(dynamodb, settings.basket_table_name),
        DynamoProductLookup(dynamodb, settings.product_table_name),
    )


def parse(event: Any) -> PriceChangedNotification:
    try:
        return PriceChangedNotification.model_validate(event)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        raise MalformedEventError(f"malformed ProductPriceChanged event: {reasons}") from None


def handler(event: Any, context: Any) -> dict[str, Any]:  # noqa: ARG001 - the Lambda signature
    try:
        notification = parse(event)
    except MalformedEventError as exc:
        logger.error(str(exc), extra={"eventId": event.get("id") if isinstance(event, dict) else None})
        raise
    data = notification.detail.data
    logger.set_correlation_id(notification.detail.metadata.correlation_id)
    try:
        updated = get_baskets().apply_price_change(
            product_id=data.productId, price=data.newPrice, changed_at=notification.changed_at
        )
        logger.info("price change applied", extra={"productId": data.productId, "updatedBaskets": updated})
        return {"productId": data.productId, "updatedBaskets": updated}
    finally:
        logger.set_correlation_id(None)
