"""Basket rules: prices come from the catalogue, checkout publishes before it forgets, price changes fan out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from lambda_common.envelope import EventMetadata
from lambda_common.errors import ConflictError, DependencyError, InvalidInputError, NotFoundError
from lambda_common.logging import get_logger

from basket.models.basket import Basket, BasketIn, BasketLine
from basket.models.checkout import CheckoutAccepted, CheckoutIn
from basket.models.events import (
    CHECKOUT_DETAIL_TYPE,
    CHECKOUT_SOURCE,
    CheckoutBasket,
    CheckoutBasketEvent,
    CheckoutItem,
)
from basket.ports import BasketRepository, EventPublisher, ProductLookup

MAX_REPRICE_ATTEMPTS = 5


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid4())


def checkout_time(moment: datetime) -> str:
    """ISO-8601 UTC with millisecond precision and a Z: the order table's sort key format."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def reprice(basket: Basket, *, product_id: str, price: Decimal, changed_at: datetime, revision: str) -> Basket | None:
    """The basket with ``product_id`` at ``price``, or None if nothing changes.

    A line is updated only if its price is older than the change, so redelivered or out-of-order events are
    harmless (idempotent) and a basket priced after the change keeps its newer price.
    """
    changed = False
    lines = []
    for line in basket.items:
        if line.productId == product_id and line.priceAsOf < changed_at:
            line = line.model_copy(update={"price": price, "priceAsOf": changed_at})
            changed = True
        lines.append(line)
    return basket.model_copy(update={"items": lines, "revision": revision}) if changed else None


class BasketService:
    def __init__(
        self,
        baskets: BasketRepository,
        products: ProductLookup,
        events: EventPublisher,
        *,
        clock: Callable[[], datetime] = _now,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self._baskets = baskets
        self._products = products
        self._events = events
        self._clock = clock
        self._new_id = new_id

    def get(self, user_name: str) -> Basket:
        basket = self._baskets.get(user_name)
        if basket is None:
            raise NotFoundError(f"no basket for user {user_name}")
        return basket

    def replace(self, request: BasketIn) -> Basket:
        """Store the user's basket, priced and named from the product table."""
        found = self._products.find({item.productId for item in request.items})
        missing = sorted({item.productId for item in request.items} - found.keys())
        if missing:
            raise InvalidInputError(f"unknown product ids: {', '.join(missing)}")
        now = self._clock()
        lines = [
            BasketLine(
                productId=item.productId,
                productName=found[item.productId].name,
                quantity=item.quantity,
                color=item.color,
                price=found[item.productId].price,
                priceAsOf=now,
            )
            for item in request.items
        ]
        basket = Basket(userName=request.userName, items=lines, revision=self._new_id())
        self._baskets.put(basket)
        return basket

    def delete(self, user_name: str) -> None:
        if not self._baskets.delete(user_name):
            raise NotFoundError(f"no basket for user {user_name}")

    def checkout(self, request: CheckoutIn, *, correlation_id: str | None = None) -> CheckoutAccepted:
        """Publish one CheckoutBasket event, then remove the basket.

        The basket is removed only after the bus accepted the event (a failed publish raises and leaves the basket
        for a retry), and only if it was not changed in between (lines added meanwhile are kept).
        """
        basket = self.get(request.userName)
        if not basket.items:
            raise InvalidInputError(f"the basket of user {request.userName} is empty")
        data = CheckoutBasket(
            checkoutId=self._new_id(),
            checkoutTime=checkout_time(self._clock()),
            items=[CheckoutItem.model_validate(line.model_dump(exclude={"priceAsOf"})) for line in basket.items],
            totalPrice=basket.total_price,
            **request.model_dump(),
        )
        metadata = EventMetadata(correlationId=correlation_id) if correlation_id else EventMetadata()
        self._events.publish(
            source=CHECKOUT_SOURCE,
            detail_type=CHECKOUT_DETAIL_TYPE,
            detail=CheckoutBasketEvent(metadata=metadata, data=data),
        )
        # The event is out: from here the checkout has happened, so a failure to tidy up must not invite the
        # client to retry (a retry would be a second checkout, hence a second order).
        context = {"userName": basket.userName, "checkoutId": data.checkoutId}
        try:
            if not self._baskets.delete(basket.userName, expected_revision=basket.revision):
                get_logger().warning("basket changed during checkout; kept it", extra=context)
        except DependencyError:
            get_logger().exception("checkout accepted but the basket could not be removed", extra=context)
        return CheckoutAccepted(checkoutId=data.checkoutId, totalPrice=data.totalPrice)

    def apply_price_change(self, *, product_id: str, price: Decimal, changed_at: datetime) -> int:
        """Set ``product_id``'s price in every basket holding it; returns how many baskets changed."""
        updated = 0
        for basket in self._baskets.containing(product_id):
            current: Basket | None = basket
            for _ in range(MAX_REPRICE_ATTEMPTS):
                if current is None:
                    break  # Deleted meanwhile (e.g. checked out): nothing to update.
                new = reprice(
                    current, product_id=product_id, price=price, changed_at=changed_at, revision=self._new_id()
                )
                if new is None:
                    break
                if self._baskets.put(new, expected_revision=current.revision):
                    updated += 1
                    break
                current = self._baskets.get(current.userName)  # Changed under us: re-read and retry.
            else:
                raise ConflictError(f"basket {basket.userName} kept changing; the price update will be retried")
        return updated
