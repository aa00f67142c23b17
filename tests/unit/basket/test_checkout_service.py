"""Checkout with in-memory fakes: claim before publish, one order per basket revision, the outbox path after a
failed publish, re-validation against the product table, Idempotency-Key answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from basket.domain.baskets import BasketService
from basket.domain.checkout import CHECKOUT_LEASE, CheckoutService, checkout_id, checkout_time
from basket.models.basket import BasketIn
from basket.models.checkout import CheckoutIn
from lambda_common.errors import ConflictError, DependencyError, InvalidInputError, NotFoundError

NOW = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)  # the fakes' clock (conftest)
CHECKOUT = {
    "userName": "swn",
    "firstName": "Mehmet",
    "lastName": "Ozkaya",
    "email": "m@example.com",
    "address": "Istanbul",
    "paymentMethod": "card",
    "cardBrand": "visa",
    "cardLast4": "4242",
}
REQUEST = CheckoutIn.model_validate(CHECKOUT)


def _fill(service: BasketService, *items: tuple[str, int]) -> None:
    service.replace(
        BasketIn.model_validate({"userName": "swn", "items": [{"productId": p, "quantity": q} for p, q in items]})
    )


def test_checkout_publishes_one_event_and_closes_the_basket(
    service: BasketService, checkouts: CheckoutService, baskets: Any, bus: Any
) -> None:
    # GIVEN
    _fill(service, ("phone", 2))
    revision = baskets.items["swn"].revision
    # WHEN
    accepted = checkouts.checkout(REQUEST, correlation_id="req-1")
    # THEN the order is the claimed revision's, priced from the product table
    [(source, detail_type, detail)] = bus.published
    assert (source, detail_type) == ("com.swn.basket.checkoutbasket", "CheckoutBasket")
    data = detail["data"]
    assert data["checkoutId"] == accepted.checkoutId == checkout_id("swn", revision)
    assert data["checkoutTime"] == accepted.checkoutTime == "2026-11-23T12:00:00.123Z"
    assert data["totalPrice"] == "1900.80" and accepted.totalPrice == Decimal("1900.80")
    assert data["items"] == [
        {"productId": "phone", "productName": "IPhone X", "quantity": 2, "color": None, "price": "950.40"}
    ]
    assert [line.model_dump(mode="json") for line in accepted.items] == data["items"]
    assert {k: data[k] for k in CHECKOUT} == CHECKOUT
    assert detail["metadata"]["correlationId"] == "req-1"
    # AND the basket is closed: gone for the user, and a repeat is a conflict naming the order
    with pytest.raises(NotFoundError):
        service.get("swn")
    with pytest.raises(ConflictError, match=f"already checked out as order {accepted.checkoutId}"):
        checkouts.checkout(REQUEST)
    assert len(bus.published) == 1


def test_the_basket_is_claimed_before_anything_is_published(
    service: BasketService, checkouts: CheckoutService, baskets: Any, bus: Any
) -> None:
    # GIVEN a bus that records what the table held when the event went out
    _fill(service, ("phone", 1))
    seen: list[Any] = []

    def publish(**kwargs: Any) -> None:
        seen.append(baskets.items["swn"].checkout)

    bus.publish = publish
    # WHEN
    accepted = checkouts.checkout(REQUEST)
    # THEN the claim, holding the very event, was stored first
    [claim] = seen
    assert claim.state == "pending"
    assert claim.checkoutId == claim.event.data.checkoutId == accepted.checkoutId


def test_a_second_request_while_the_first_holds_the_claim_is_a_conflict(
    service: BasketService, checkouts: CheckoutService, bus: Any
) -> None:
    # GIVEN a checkout in the middle of publishing
    _fill(service, ("phone", 1))
    answers: list[Any] = []

    def publish_and_race(**kwargs: Any) -> None:
        with pytest.raises(ConflictError, match="in progress") as second:
            checkouts.checkout(REQUEST)
        answers.append(second.value)

    bus.publish = publish_and_race
    # WHEN
    checkouts.checkout(REQUEST)
    # THEN
    assert len(answers) == 1


def test_a_stale_read_cannot_claim(service: BasketService, checkouts: CheckoutService, baskets: Any, bus: Any) -> None:
    # GIVEN the basket changes between this request's read and its claim
    _fill(service, ("phone", 1))
    baskets.before_put.append(lambda: _fill(service, ("case", 1)))
    # WHEN / THEN
    with pytest.raises(ConflictError, match="changed or is being checked out"):
        checkouts.checkout(REQUEST)
    assert bus.published == []


def test_a_failed_publish_keeps_the_basket_and_the_order_for_the_next_attempt(
    service: BasketService, checkouts: CheckoutService, baskets: Any, bus: Any, clock: Any
) -> None:
    # GIVEN the bus rejects the first attempt
    _fill(service, ("phone", 1))
    bus.fail = True
    with pytest.raises(DependencyError):
        checkouts.checkout(REQUEST)
    pending = service.get("swn")
    assert pending.checkout is not None and pending.checkout.state == "pending"
    assert pending.checkout.leaseUntil is None  # released: the next request need not wait
    # AND the user cannot change the basket under the pending order
    with pytest.raises(ConflictError, match="unfinished"):
        _fill(service, ("case", 1))
    with pytest.raises(ConflictError, match="unfinished"):
        service.delete("swn")
    # AND the product's price changes meanwhile
    clock.now = NOW + timedelta(minutes=5)
    assert service.apply_price_change(product_id="phone", price=Decimal(1), changed_at=clock.now) == 0
    # WHEN the client retries
    bus.fail = False
    accepted = checkouts.checkout(REQUEST)
    # THEN the very same order goes out (same id and time, so a duplicate of an earlier publish is absorbed)
    [(_, _, detail)] = bus.published
    assert accepted.checkoutId == pending.checkout.checkoutId == detail["data"]["checkoutId"]
    assert detail["data"]["checkoutTime"] == checkout_time(NOW)
    assert detail["data"]["totalPrice"] == "950.40"
    assert detail == pending.checkout.event.model_dump(mode="json", by_alias=True)  # type: ignore[union-attr]


def test_a_crashed_request_is_taken_over_once_its_lease_expires(
    service: BasketService, checkouts: CheckoutService, baskets: Any, bus: Any, clock: Any
) -> None:
    # GIVEN a request that claimed the basket and died before publishing
    _fill(service, ("phone", 1))

    def die(**kwargs: Any) -> None:
        raise SystemExit("the Lambda timed out")

    bus.publish = die
    with pytest.raises(SystemExit):
        checkouts.checkout(REQUEST)
    del bus.publish
    # WHEN another request comes within the lease, and then after it
    with pytest.raises(ConflictError, match="in progress"):
        checkouts.checkout(REQUEST)
    clock.now = NOW + CHECKOUT_LEASE + timedelta(milliseconds=1)
    accepted = checkouts.checkout(REQUEST)
    # THEN the pending order is published once, with the id and time of the original claim
    [(_, _, detail)] = bus.published
    assert (detail["data"]["checkoutId"], detail["data"]["checkoutTime"]) == (accepted.checkoutId, checkout_time(NOW))


def test_a_closing_failure_after_publishing_still_answers_202(
    service: BasketService, checkouts: CheckoutService, baskets: Any, bus: Any
) -> None:
    # GIVEN the table fails after the event was published
    _fill(service, ("phone", 1))
    original_put = baskets.put

    def put_then_fail(basket: Any, *, expected_revision: str | None = None) -> bool:
        if basket.checkout is not None and basket.checkout.state == "done":
            raise DependencyError("table unavailable")
        return bool(original_put(basket, expected_revision=expected_revision))

    baskets.put = put_then_fail
    # WHEN
    accepted = checkouts.checkout(REQUEST)
    # THEN the client is not told to retry; the checkout stays pending, so a retry re-sends the same order
    assert [d["data"]["checkoutId"] for _, _, d in bus.published] == [accepted.checkoutId]


def test_checking_out_an_empty_or_missing_basket_fails_with_a_reason(
    service: BasketService, checkouts: CheckoutService, bus: Any
) -> None:
    with pytest.raises(NotFoundError, match="no basket for user swn"):
        checkouts.checkout(REQUEST)
    _fill(service)
    with pytest.raises(ConflictError, match="empty"):
        checkouts.checkout(REQUEST)
    assert bus.published == []


def test_a_deleted_product_is_named_and_nothing_is_claimed(
    service: BasketService, checkouts: CheckoutService, products: Any, baskets: Any, bus: Any
) -> None:
    # GIVEN a product deleted after it was put in the basket
    _fill(service, ("phone", 1), ("case", 1))
    del products.products["case"]
    # WHEN / THEN
    with pytest.raises(ConflictError, match=r"no longer available: Phone case \(case\)"):
        checkouts.checkout(REQUEST)
    assert bus.published == [] and baskets.items["swn"].checkout is None


def test_the_order_has_the_product_tables_price_at_checkout(
    service: BasketService, checkouts: CheckoutService, products: Any, bus: Any
) -> None:
    # GIVEN a price change that has not reached the basket (the event is late or lost)
    _fill(service, ("phone", 2))
    products.products["phone"] = products.products["phone"].model_copy(update={"price": Decimal("899.99")})
    # WHEN
    accepted = checkouts.checkout(REQUEST)
    # THEN
    data = bus.published[0][2]["data"]
    assert (data["items"][0]["price"], data["totalPrice"]) == ("899.99", "1799.98")
    assert accepted.totalPrice == Decimal("1799.98")


def test_the_same_idempotency_key_gets_the_first_answer_again(
    service: BasketService, checkouts: CheckoutService, bus: Any
) -> None:
    # GIVEN
    _fill(service, ("phone", 1))
    first = checkouts.checkout(REQUEST, idempotency_key="k-1")
    # WHEN the client repeats the request, with the key and without
    again = checkouts.checkout(REQUEST, idempotency_key="k-1")
    # THEN
    assert again == first
    with pytest.raises(ConflictError, match="already checked out"):
        checkouts.checkout(REQUEST, idempotency_key="k-2")
    with pytest.raises(InvalidInputError, match="different request"):
        checkouts.checkout(REQUEST.model_copy(update={"address": "Ankara"}), idempotency_key="k-1")
    assert len(bus.published) == 1


def test_each_basket_revision_has_its_own_checkout_id() -> None:
    assert checkout_id("swn", "r1") == checkout_id("swn", "r1")
    assert len({checkout_id("swn", "r1"), checkout_id("swn", "r2"), checkout_id("ada", "r1")}) == 3


def test_checkout_time_is_utc_with_milliseconds() -> None:
    assert checkout_time(NOW) == "2026-11-23T12:00:00.123Z"
