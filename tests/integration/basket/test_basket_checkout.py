"""Checkout exactly once, through the API handler against moto, with real concurrency (threads)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

Invoke = Callable[[dict[str, Any]], tuple[int, Any, dict[str, str]]]
Build = Callable[..., dict[str, Any]]
PHONE = "1b8f2d3e-7c1a-4f0e-9a55-0c2d7a6b9e11"
CASE = "7d1c5a9e-3b2f-4e8d-a6c0-5f4e3d2c1b0a"
PARALLEL = 8


def _checkout(user: str) -> dict[str, Any]:
    return {
        "userName": user,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "address": "12 Analytical Way",
        "paymentMethod": "paypal",
    }


def _fill(invoke: Invoke, api_event: Build, user: str, *items: tuple[str, int]) -> None:
    body = {"userName": user, "items": [{"productId": p, "quantity": q} for p, q in items]}
    assert invoke(api_event("POST", "/basket", body=body))[0] == 200


def _with_key(event: dict[str, Any], key: str) -> dict[str, Any]:
    event["headers"]["Idempotency-Key"] = key
    event["multiValueHeaders"]["Idempotency-Key"] = [key]
    return event


def _in_parallel(invoke: Invoke, events: list[dict[str, Any]]) -> list[tuple[int, Any, dict[str, str]]]:
    """Each event on its own thread (Mangum wants an event loop per thread), released together."""
    start = threading.Barrier(len(events))

    def call(event: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        asyncio.set_event_loop(asyncio.new_event_loop())
        start.wait()
        return invoke(event)

    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(call, events))


def test_parallel_checkouts_of_one_basket_give_one_202_and_409s_with_a_reason(
    invoke: Invoke, api_event: Build, bus: Callable[[], list[dict[str, Any]]], atomic_dynamodb: None
) -> None:
    for n in range(3):
        # GIVEN a basket
        user = f"racer{n}"
        _fill(invoke, api_event, user, (PHONE, 1), (CASE, 2))
        # WHEN 8 requests check it out at once
        answers = _in_parallel(invoke, [api_event("POST", "/basket/checkout", body=_checkout(user))] * PARALLEL)
        # THEN exactly one is accepted, with the order; every other one says why not
        statuses = Counter(status for status, _, _ in answers)
        assert statuses == {202: 1, 409: PARALLEL - 1}, answers
        [accepted] = [body for status, body, _ in answers if status == 202]
        assert accepted["totalPrice"] == "990.38" and len(accepted["items"]) == 2
        assert all(body["message"] for status, body, _ in answers if status == 409)
        # AND one event went out, with the accepted checkout id
        assert [e["detail"]["data"]["checkoutId"] for e in bus()] == [accepted["checkoutId"]]


def test_the_same_idempotency_key_gets_the_same_202_body_again(
    invoke: Invoke,
    api_event: Build,
    bus: Callable[[], list[dict[str, Any]]],
    tables: dict[str, Any],
    atomic_dynamodb: None,
) -> None:
    # GIVEN
    _fill(invoke, api_event, "swn", (PHONE, 1))
    request = _with_key(api_event("POST", "/basket/checkout", body=_checkout("swn")), "key-1")
    # WHEN the client sends the request 8 times at once, and once more later
    answers = _in_parallel(invoke, [request] * PARALLEL)
    later = invoke(request)
    # THEN every 202 carries the same body; a conflict only while the first is running
    accepted = [body for status, body, _ in answers + [later] if status == 202]
    assert later[0] == 202 and all(body == later[1] for body in accepted)
    assert all(body["message"].startswith("a request with this Idempotency-Key") for s, body, _ in answers if s == 409)
    assert len(bus()) == 1
    # AND the answer is remembered for at least 24 hours
    [record] = tables["idempotency"].scan()["Items"]
    assert record["expiration"] >= time.time() + 24 * 3600 - 60
    # AND another key, or the same key with another request, is refused
    other = invoke(_with_key(api_event("POST", "/basket/checkout", body=_checkout("swn")), "key-2"))
    assert other[0] == 409 and "already checked out" in other[1]["message"]
    changed = {**_checkout("swn"), "address": "1 Other Road"}
    assert invoke(_with_key(api_event("POST", "/basket/checkout", body=changed), "key-1"))[0] == 400


def test_a_failed_publish_keeps_the_basket_and_the_order_until_a_retry_sends_it(
    invoke: Invoke,
    api_event: Build,
    tables: dict[str, Any],
    capture_events: Callable[[dict[str, Any]], Callable[[], list[dict[str, Any]]]],
) -> None:
    # GIVEN no bus yet, so the publish after the claim fails
    _fill(invoke, api_event, "swn", (PHONE, 2))
    status, body, _ = invoke(api_event("POST", "/basket/checkout", body=_checkout("swn")))
    assert status == 503 and body["correlationId"]
    # THEN the basket is still there, holding the pending order
    status, basket, _ = invoke(api_event("GET", "/basket/swn"))
    assert status == 200 and basket["pendingCheckoutId"] and basket["totalPrice"] == "1900.80"
    # AND it cannot be changed under the pending order
    body = {"userName": "swn", "items": [{"productId": CASE, "quantity": 1}]}
    assert invoke(api_event("POST", "/basket", body=body))[0] == 409
    # WHEN the bus is back and the client retries
    drain = capture_events({"detail-type": ["CheckoutBasket"]})  # creates the bus, late
    status, accepted, _ = invoke(api_event("POST", "/basket/checkout", body=_checkout("swn")))
    # THEN the pending order is the one published, once
    assert status == 202 and accepted["checkoutId"] == basket["pendingCheckoutId"]
    assert [e["detail"]["data"]["checkoutId"] for e in drain()] == [accepted["checkoutId"]]
    assert invoke(api_event("GET", "/basket/swn"))[0] == 404


def test_a_deleted_product_fails_the_checkout_with_409_naming_it(
    invoke: Invoke, api_event: Build, tables: dict[str, Any], bus: Callable[[], list[dict[str, Any]]]
) -> None:
    # GIVEN
    _fill(invoke, api_event, "swn", (PHONE, 1), (CASE, 1))
    tables["product"].delete_item(Key={"id": CASE})
    # WHEN
    status, body, _ = invoke(api_event("POST", "/basket/checkout", body=_checkout("swn")))
    # THEN
    assert status == 409 and f"Phone case ({CASE})" in body["message"]
    assert bus() == []


def test_the_order_is_priced_from_the_product_table_at_checkout(
    invoke: Invoke, api_event: Build, tables: dict[str, Any], bus: Callable[[], list[dict[str, Any]]]
) -> None:
    # GIVEN a price change the basket has not seen
    _fill(invoke, api_event, "swn", (PHONE, 1))
    tables["product"].update_item(
        Key={"id": PHONE}, UpdateExpression="SET price = :p", ExpressionAttributeValues={":p": Decimal("899.99")}
    )
    # WHEN
    status, body, _ = invoke(api_event("POST", "/basket/checkout", body=_checkout("swn")))
    # THEN
    assert (status, body["totalPrice"], body["items"][0]["price"]) == (202, "899.99", "899.99")
    assert bus()[0]["detail"]["data"]["items"][0]["price"] == "899.99"
