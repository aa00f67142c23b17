"""Lambda entrypoint `ordering.handlers.api.handler`: the order query API (FastAPI behind Mangum)."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from lambda_common import aws, page_token
from lambda_common.api import SIGNED_IN_RESPONSES, STANDARD_RESPONSES, AdminCaller, CurrentCaller, create_app
from lambda_common.settings import load_settings
from mangum import Mangum

from ordering.domain.orders import DATE_PREFIX, OrderBook
from ordering.models.order import OrderPage
from ordering.settings import OrderingSettings

settings = load_settings(OrderingSettings)


@cache
def order_book() -> OrderBook:
    # The adapter (and so botocore) is imported on first use, not at cold start.
    from ordering.adapters.dynamodb import DynamoOrderRepository

    return OrderBook(DynamoOrderRepository(aws.client("dynamodb"), settings.order_table_name))


async def get_orders() -> OrderBook:
    # async so FastAPI calls it on the event loop: a sync dependency would start anyio's worker thread pool.
    return order_book()


Orders = Annotated[OrderBook, Depends(get_orders)]
Limit = Annotated[int, Query(ge=1, le=100)]
NextToken = Annotated[
    str | None, Query(min_length=1, max_length=2048, pattern=page_token.PATTERN, description=page_token.DESCRIPTION)
]
DateQuery = Annotated[str | None, Query(pattern=DATE_PREFIX, examples=["2026-11-23", "2026-11-23T12:00"])]
OrderDate = Annotated[
    DateQuery, Query(description="ISO-8601 UTC date or date-time prefix. Not together with from/to (400).")
]
From = Annotated[DateQuery, Query(alias="from", description="Range start (inclusive, a prefix). Not after to (400).")]
To = Annotated[DateQuery, Query(alias="to", description="Range end (inclusive: every date it prefixes).")]

router = APIRouter(prefix="/order", tags=["order"], responses={**STANDARD_RESPONSES, **SIGNED_IN_RESPONSES})


@router.get("", summary="List every user's orders, a page at a time (admins only)")
async def list_orders(
    orders: Orders,
    _admin: AdminCaller,
    limit: Limit = 20,
    nextToken: NextToken = None,  # noqa: N803 - wire name
) -> OrderPage:
    return orders.list_all(limit=limit, page_token=nextToken)


@router.get(
    "/{userName}",
    summary="A user's orders, newest first; filter by an orderDate prefix or a from/to range (inclusive). "
    "Users read their own orders; admins anyone's",
)
async def list_user_orders(
    userName: Annotated[str, Path(min_length=1, max_length=128)],  # noqa: N803 - matches the route
    orders: Orders,
    caller: CurrentCaller,
    orderDate: OrderDate = None,  # noqa: N803 - wire name
    date_from: From = None,
    date_to: To = None,
    limit: Limit = 20,
    nextToken: NextToken = None,  # noqa: N803 - wire name
) -> OrderPage:
    caller.ensure_is_or_admin(userName, "orders")
    return orders.list_for_user(
        userName, limit=limit, page_token=nextToken, order_date=orderDate, date_from=date_from, date_to=date_to
    )


app = create_app(resource="order", title="Ordering service", description="Orders created from checkouts.")
app.include_router(router)
handler = Mangum(app, lifespan="off")
