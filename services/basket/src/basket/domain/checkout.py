"""Checkout: a basket becomes exactly one CheckoutBasket event (and so one order), however often it is requested."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4, uuid5

from lambda_common.envelope import EventMetadata
from lambda_common.errors import ConflictError, DependencyError, NotFoundError
from lambda_common.logging import get_logger

from basket.models.basket import Basket, ClosedCheckout, PendingCheckout
from basket.models.checkout import CheckoutAccepted, CheckoutIn, OrderLine
from basket.models.events import (
    CHECKOUT_DETAIL_TYPE,
    CHECKOUT_SOURCE,
    CheckoutBasket,
    CheckoutBasketEvent,
    CheckoutItem,
)
from basket.ports import BasketRepository, EventPublisher, Idempotency, ProductLookup

#: How long a checkout request holds its claim. Longer than the API's 29 s, so a live request is never overtaken.
CHECKOUT_LEASE = timedelta(seconds=30)
_CHECKOUT_NAMESPACE = UUID("6f1f7d1e-2b0c-4a51-9d0e-8a6c1c3f2b7a")


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid4())


def checkout_id(user_name: str, revision: str) -> str:
    """The checkout (and order) id of a basket revision: the same claimed basket always gives the same id."""
    return str(uuid5(_CHECKOUT_NAMESPACE, f"{user_name}/{revision}"))


def checkout_time(moment: datetime) -> str:
    """ISO-8601 UTC with millisecond precision and a Z: the order table's sort key format."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CheckoutService:
    def __init__(
        self,
        baskets: BasketRepository,
        products: ProductLookup,
        events: EventPublisher,
        idempotency: Idempotency,
        *,
        clock: Callable[[], datetime] = _now,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self._baskets = baskets
        self._products = products
        self._events = events
        self._idempotency = idempotency
        self._clock = clock
        self._new_id = new_id

    def checkout(
        self, request: CheckoutIn, *, idempotency_key: str | None = None, correlation_id: str | None = None
    ) -> CheckoutAccepted:
        """Check out the user's basket exactly once (docs/CONVENTIONS.md, "Checkout").

        1. claim: write the CheckoutBasket event into the basket, conditional on the revision that was read (the
           outbox). Its ``checkoutId`` is derived from that revision, its prices are the product table's now.
           Of concurrent or repeated checkouts only one claims; the others get ConflictError with the reason.
        2. publish the claimed event. If the bus fails, the claim's lease is released and DependencyError raised:
           the basket and the pending order stay, and the next checkout request publishes the same event again.
        3. close the basket (conditional on the claim). From the publish on the checkout has happened, so a
           failure here is logged, not raised (a retry would re-publish the same event, which ordering absorbs).

        With ``idempotency_key``, a repeat of the request gets the first answer again instead of a conflict.
        """
        if idempotency_key is None:
            return self._checkout(request, correlation_id)
        return self._idempotency.once(
            key=f"{request.userName}/{idempotency_key}",
            request=request,
            action=lambda: self._checkout(request, correlation_id),
        )

    def _checkout(self, request: CheckoutIn, correlation_id: str | None) -> CheckoutAccepted:
        basket = self._baskets.get(request.userName)
        if basket is None:
            raise NotFoundError(f"no basket for user {request.userName}")
        claimed, claim = self._claim(basket, request, correlation_id)
        event = claim.event
        context = {"userName": claimed.userName, "checkoutId": claim.checkoutId}
        try:
            self._events.publish(source=CHECKOUT_SOURCE, detail_type=CHECKOUT_DETAIL_TYPE, detail=event)
        except DependencyError:
            self._release(claimed, claim, context)
            raise
        closed = Basket(
            userName=claimed.userName,
            items=[],
            revision=self._new_id(),
            checkout=ClosedCheckout(checkoutId=claim.checkoutId),
        )
        try:
            if not self._baskets.put(closed, expected_revision=claimed.revision):
                get_logger().warning("checkout lease lost after publishing; the new holder closes it", extra=context)
        except DependencyError:
            get_logger().exception("checkout published but the basket could not be closed", extra=context)
        data = event.data
        return CheckoutAccepted(
            checkoutId=data.checkoutId,
            checkoutTime=data.checkoutTime,
            userName=data.userName,
            items=[OrderLine.model_validate(item.model_dump()) for item in data.items],
            totalPrice=data.totalPrice,
        )

    def _claim(self, basket: Basket, request: CheckoutIn, correlation_id: str | None) -> tuple[Basket, PendingCheckout]:
        """The basket as this request claimed it, and the claim; ConflictError saying why it cannot."""
        now = self._clock()
        claim = basket.checkout
        if claim is None:
            if not basket.items:
                raise ConflictError(f"the basket of user {request.userName} is empty")
            event = self._checkout_event(basket, request, now, correlation_id)
            claim = PendingCheckout(checkoutId=event.data.checkoutId, event=event)
        elif isinstance(claim, ClosedCheckout):
            raise ConflictError(f"this basket was already checked out as order {claim.checkoutId}")
        elif claim.leaseUntil is not None and claim.leaseUntil > now:
            raise ConflictError(f"checkout {claim.checkoutId} of this basket is in progress")
        # else: an unfinished checkout whose publish failed (or whose request died): finish it, same event.
        leased = claim.model_copy(update={"leaseUntil": now + CHECKOUT_LEASE})
        claimed = basket.model_copy(update={"checkout": leased, "revision": self._new_id()})
        if not self._baskets.put(claimed, expected_revision=basket.revision):
            raise ConflictError("the basket changed or is being checked out by another request")
        return claimed, leased

    def _checkout_event(
        self, basket: Basket, request: CheckoutIn, now: datetime, correlation_id: str | None
    ) -> CheckoutBasketEvent:
        """The order as of now: every line re-validated and priced against the product table."""
        found = self._products.find(basket.product_ids)
        gone = [line for line in basket.items if line.productId not in found]
        if gone:
            names = ", ".join(f"{line.productName} ({line.productId})" for line in gone)
            raise ConflictError(f"no longer available: {names}; remove it from the basket and check out again")
        items = [
            CheckoutItem(
                productId=line.productId,
                productName=found[line.productId].name,
                quantity=line.quantity,
                color=line.color,
                price=found[line.productId].price,
            )
            for line in basket.items
        ]
        data = CheckoutBasket(
            checkoutId=checkout_id(basket.userName, basket.revision),
            checkoutTime=checkout_time(now),
            items=items,
            totalPrice=sum((item.price * item.quantity for item in items), Decimal(0)),
            **request.model_dump(),
        )
        metadata = EventMetadata(correlationId=correlation_id) if correlation_id else EventMetadata()
        return CheckoutBasketEvent(metadata=metadata, data=data)

    def _release(self, claimed: Basket, claim: PendingCheckout, context: dict[str, str]) -> None:
        """Let the next checkout request take over at once (else it waits for the lease to expire)."""
        released = claimed.model_copy(
            update={"checkout": claim.model_copy(update={"leaseUntil": None}), "revision": self._new_id()}
        )
        try:
            self._baskets.put(released, expected_revision=claimed.revision)
        except DependencyError:
            get_logger().exception("checkout publish failed and its lease could not be released", extra=context)
