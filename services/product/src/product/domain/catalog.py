"""The product catalogue's rules: ids are the server's, PUT never creates, price changes are announced."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

from lambda_common.envelope import EventMetadata
from lambda_common.errors import DependencyError, NotFoundError

from product.models.events import PRICE_CHANGED, SOURCE, PriceChangedEvent, ProductPriceChanged
from product.models.product import Product, ProductCreate, ProductPage, ProductUpdate
from product.ports import EventPublisher, ProductRepository


def _new_id() -> str:
    return str(uuid4())


class ProductCatalog:
    def __init__(
        self, products: ProductRepository, events: EventPublisher, *, new_id: Callable[[], str] = _new_id
    ) -> None:
        self._products = products
        self._events = events
        self._new_id = new_id

    def create(self, draft: ProductCreate) -> Product:
        product = Product(id=self._new_id(), **draft.model_dump())
        self._products.create(product)
        return product

    def get(self, product_id: str) -> Product:
        product = self._products.get(product_id)
        if product is None:
            raise NotFoundError(f"product {product_id} not found")
        return product

    def list(self, *, limit: int, page_token: str | None = None, category: str | None = None) -> ProductPage:
        return self._products.list(limit=limit, page_token=page_token, category=category)

    def update(self, product_id: str, update: ProductUpdate, *, correlation_id: str | None = None) -> Product:
        """Change an existing product. A new price is announced with ProductPriceChanged after the write.

        If the bus rejects the event the price is put back (unless someone changed it since) and the error is
        raised, so the client's retry writes and announces again instead of silently leaving baskets stale.
        """
        before, after = self._products.update(product_id, update.changes())
        if after.price != before.price:
            data = ProductPriceChanged(productId=product_id, oldPrice=before.price, newPrice=after.price)
            metadata = EventMetadata(correlationId=correlation_id) if correlation_id else EventMetadata()
            try:
                self._events.publish(
                    source=SOURCE, detail_type=PRICE_CHANGED, detail=PriceChangedEvent(metadata=metadata, data=data)
                )
            except DependencyError:
                self._products.restore_price(product_id, price=before.price, only_if=after.price)
                raise
        return after

    def delete(self, product_id: str) -> None:
        self._products.delete(product_id)
