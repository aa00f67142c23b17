"""Lambda entrypoint `product.handlers.api.handler`: the product REST API (FastAPI behind Mangum)."""

from __future__ import annotations

from functools import cache, partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from lambda_common import aws, page_token
from lambda_common.api import (
    SIGNED_IN_RESPONSES,
    STANDARD_RESPONSES,
    AdminCaller,
    ErrorBody,
    correlation_id,
    create_app,
)
from lambda_common.settings import load_settings
from mangum import Mangum

from product.domain.catalog import ProductCatalog
from product.models.product import Product, ProductCreate, ProductPage, ProductUpdate
from product.settings import ProductSettings

settings = load_settings(ProductSettings)


@cache
def product_catalog() -> ProductCatalog:
    # Adapters (and so botocore) are imported on first use, not at cold start; the events client on first publish.
    from lambda_common.eventbridge import EventBridgePublisher

    from product.adapters.dynamodb import DynamoProductRepository

    return ProductCatalog(
        DynamoProductRepository(aws.client("dynamodb"), settings.product_table_name),
        EventBridgePublisher(partial(aws.client, "events"), settings.event_bus_name),
    )


async def get_catalog() -> ProductCatalog:
    # async so FastAPI calls it on the event loop: a sync dependency would start anyio's worker thread pool.
    return product_catalog()


Catalog = Annotated[ProductCatalog, Depends(get_catalog)]
ProductIdPath = Annotated[str, Path(min_length=1, max_length=128, description="The product's id")]
NOT_FOUND: dict[int | str, dict[str, object]] = {404: {"model": ErrorBody, "description": "No such product"}}

router = APIRouter(prefix="/product", tags=["product"], responses=STANDARD_RESPONSES)


@router.get("", summary="List products, a page at a time")
async def list_products(
    catalog: Catalog,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    nextToken: Annotated[  # noqa: N803 - wire name
        str | None,
        Query(min_length=1, max_length=2048, pattern=page_token.PATTERN, description=page_token.DESCRIPTION),
    ] = None,
    category: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> ProductPage:
    return catalog.list(limit=limit, page_token=nextToken, category=category)


# Reads are public; writes need a member of the admins group.
@router.post(
    "", status_code=201, responses=SIGNED_IN_RESPONSES, summary="Create a product; the server chooses its id (admins)"
)
async def create_product(body: ProductCreate, catalog: Catalog, response: Response, _admin: AdminCaller) -> Product:
    product = catalog.create(body)
    response.headers["Location"] = f"/product/{product.id}"
    return product


@router.get("/{id}", responses=NOT_FOUND, summary="Get one product")
async def get_product(id: ProductIdPath, catalog: Catalog) -> Product:  # noqa: A002 - matches the route
    return catalog.get(id)


@router.put(
    "/{id}",
    responses={**NOT_FOUND, **SIGNED_IN_RESPONSES},
    summary="Change an existing product (never creates one; admins)",
)
async def update_product(
    id: ProductIdPath,  # noqa: A002 - matches the route
    body: ProductUpdate,
    catalog: Catalog,
    request: Request,
    _admin: AdminCaller,
) -> Product:
    return catalog.update(id, body, correlation_id=correlation_id(request))


@router.delete(
    "/{id}", status_code=204, responses={**NOT_FOUND, **SIGNED_IN_RESPONSES}, summary="Delete a product (admins)"
)
async def delete_product(id: ProductIdPath, catalog: Catalog, _admin: AdminCaller) -> Response:  # noqa: A002
    catalog.delete(id)
    return Response(status_code=204)


app = create_app(resource="product", title="Product service", description="The product catalogue.")
app.include_router(router)
handler = Mangum(app, lifespan="off")
