"""Lambda entrypoint `basket.handlers.api.handler`: the basket REST API (FastAPI behind Mangum)."""

from __future__ import annotations

from functools import cache, partial
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from lambda_common import aws
from lambda_common.api import (
    SIGNED_IN_RESPONSES,
    STANDARD_RESPONSES,
    CurrentCaller,
    ErrorBody,
    correlation_id,
    create_app,
)
from lambda_common.settings import load_settings
from mangum import Mangum

from basket.domain.baskets import BasketService
from basket.domain.checkout import CheckoutService
from basket.models.basket import BasketIn, BasketOut
from basket.models.checkout import CheckoutAccepted, CheckoutIn
from basket.settings import BasketApiSettings

settings = load_settings(BasketApiSettings)


@cache
def basket_service() -> BasketService:
    # Adapters (and so botocore) are imported on first use, not at cold start.
    from basket.adapters.dynamodb import DynamoBasketRepository, DynamoProductLookup

    dynamodb = aws.client("dynamodb")
    return BasketService(
        DynamoBasketRepository(dynamodb, settings.basket_table_name),
        DynamoProductLookup(dynamodb, settings.product_table_name),
    )


@cache
def checkout_service() -> CheckoutService:
    # Idempotency (Powertools) and the events client are loaded on the first checkout only.
    from lambda_common.eventbridge import EventBridgePublisher

    from basket.adapters.dynamodb import DynamoBasketRepository, DynamoProductLookup
    from basket.adapters.idempotency import PowertoolsIdempotency

    dynamodb = aws.client("dynamodb")
    return CheckoutService(
        DynamoBasketRepository(dynamodb, settings.basket_table_name),
        DynamoProductLookup(dynamodb, settings.product_table_name),
        EventBridgePublisher(partial(aws.client, "events"), settings.event_bus_name),
        PowertoolsIdempotency(dynamodb, settings.idempotency_table_name),
    )


async def get_baskets() -> BasketService:
    # async so FastAPI calls it on the event loop: a sync dependency would start anyio's worker thread pool.
    return basket_service()


async def get_checkouts() -> CheckoutService:
    return checkout_service()


Baskets = Annotated[BasketService, Depends(get_baskets)]
Checkouts = Annotated[CheckoutService, Depends(get_checkouts)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Any unique string (e.g. a UUID): a repeat with the same key within 24 h gets the first 202 again",
    ),
]
UserNamePath = Annotated[
    str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.@+-]+$", description="The basket's owner")
]
NOT_FOUND: dict[int | str, dict[str, object]] = {404: {"model": ErrorBody, "description": "No basket for this user"}}
CONFLICT: dict[int | str, dict[str, object]] = {
    409: {"model": ErrorBody, "description": "A checkout of this basket is unfinished, or it changed meanwhile"}
}
CHECKOUT_CONFLICT: dict[int | str, dict[str, object]] = {
    409: {
        "model": ErrorBody,
        "description": "Already checked out, being checked out, changed meanwhile, or a product is no longer "
        "available (named in the message)",
    }
}

# Every route needs a signed-in user, who reads, changes and checks out only their own basket.
router = APIRouter(prefix="/basket", tags=["basket"], responses={**STANDARD_RESPONSES, **SIGNED_IN_RESPONSES})


@router.post(
    "/checkout",
    status_code=202,
    responses=NOT_FOUND | CHECKOUT_CONFLICT,
    summary="Check out the user's basket exactly once: one 202 with the order, 409 for every other attempt",
)
async def checkout(
    body: CheckoutIn,
    checkouts: Checkouts,
    request: Request,
    caller: CurrentCaller,
    idempotency_key: IdempotencyKey = None,
) -> CheckoutAccepted:
    caller.ensure_is(body.userName, "basket")
    return checkouts.checkout(body, idempotency_key=idempotency_key, correlation_id=correlation_id(request))


@router.get("/{userName}", responses=NOT_FOUND, summary="Get a user's basket with its total")
async def get_basket(userName: UserNamePath, baskets: Baskets, caller: CurrentCaller) -> BasketOut:  # noqa: N803
    caller.ensure_is(userName, "basket")
    return BasketOut.of(baskets.get(userName))


@router.post(
    "",
    responses=CONFLICT,
    summary="Store (replace) a user's basket; prices and names come from the product table",
)
async def put_basket(body: BasketIn, baskets: Baskets, caller: CurrentCaller) -> BasketOut:
    caller.ensure_is(body.userName, "basket")
    return BasketOut.of(baskets.replace(body))


@router.delete("/{userName}", status_code=204, responses=NOT_FOUND | CONFLICT, summary="Delete a user's basket")
async def delete_basket(userName: UserNamePath, baskets: Baskets, caller: CurrentCaller) -> Response:  # noqa: N803
    caller.ensure_is(userName, "basket")
    baskets.delete(userName)
    return Response(status_code=204)


app = create_app(resource="basket", title="Basket service", description="Baskets and checkout.")
app.include_router(router)
handler = Mangum(app, lifespan="off")
