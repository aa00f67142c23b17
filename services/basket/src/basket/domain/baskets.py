"""Basket rules: prices come from the catalogue, a basket held by a checkout stays as it is, price changes fan out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from lambda_common.errors import ConflictError, NotFoundError

from basket.models.basket import Basket, BasketIn, BasketLine, ClosedCheckout
from basket.ports import BasketRepository, ProductLookup

MAX_REPRICE_ATTEMPTS = 5


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid4())


def reprice(basket: Basket, *, product_id: str, price: Decimal, changed_at: datetime, revision: str) -> Basket | None:
    """The basket with ``product_id`` at ``price``, or None if nothing changes.

    A line is updated only if its price is older than the change, so redelivered or out-of-order events are
    harmless (idempotent) and a basket priced after the change keeps its newer price.
    """
    if not basket.is_open:
        return None  # A checkout holds it: the order was priced when it was claimed.
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
        *,
        clock: Callable[[], datetime] = _now,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self._baskets = baskets
        self._products = products
        self._clock = clock
        self._new_id = new_id

    def get(self, user_name: str) -> Basket:
        """The user's basket, open or held by an unfinished checkout; NotFoundError once it is checked out."""
        basket = self._baskets.get(user_name)
        if basket is None or isinstance(basket.checkout, ClosedCheckout):
            raise NotFoundError(f"no basket for user {user_name}")
        return basket

    def replace(self, request: BasketIn) -> Basket:
        """Store the user's basket, priced and named from the product table."""
        found = self._products.find({item.productId for item in request.items})
        missing = sorted({item.productId for item in request.items} - found.keys())
        if missing:  # The request is well-formed; the catalogue does not hold these (now): a conflict with it.
            raise ConflictError(f"unknown product ids: {', '.join(missing)}")
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
        if not self._baskets.put(basket):
            raise ConflictError(f"a checkout of {request.userName}'s basket is unfinished; check out again first")
        return basket

    def delete(self, user_name: str) -> None:
        basket = self.get(user_name)
        if basket.checkout is not None:
            raise ConflictError(f"checkout {basket.checkout.checkoutId} of this basket is unfinished")
        if not self._baskets.delete(user_name, expected_revision=basket.revision):
            raise ConflictError(f"the basket of {user_name} changed meanwhile; fetch it and retry")

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
