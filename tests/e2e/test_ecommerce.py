"""Seed scenario 1: product CRUD, basket, checkout -> order with the right total, a price change reaching a basket."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from localrun.testing import LocalTopology, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
STACK = "EcommerceStack"


def call(
    topology: LocalTopology, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{topology.api}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw else None


def test_shop_flow(local_topology: LocalTopology) -> None:
    local_topology.require(STACK)
    run = uuid.uuid4().hex[:8]
    # GIVEN two products (product CRUD)
    status, phone = call(
        local_topology,
        "POST",
        "/product",
        {"name": f"Phone {run}", "description": "e2e", "price": "10.00", "category": "Phone"},
    )
    assert status == 201, phone
    status, case = call(
        local_topology, "POST", "/product", {"name": f"Case {run}", "price": "2.50", "category": "Accessory"}
    )
    assert status == 201, case
    assert call(local_topology, "GET", f"/product/{phone['id']}") == (200, phone)
    status, changed = call(local_topology, "PUT", f"/product/{case['id']}", {"description": "sturdy"})
    assert (status, changed["description"]) == (200, "sturdy")
    status, doomed = call(local_topology, "POST", "/product", {"name": f"Gone {run}", "price": 1, "category": "X"})
    assert status == 201
    assert call(local_topology, "DELETE", f"/product/{doomed['id']}")[0] == 204
    assert call(local_topology, "GET", f"/product/{doomed['id']}")[0] == 404

    # WHEN a user fills a basket and checks out
    buyer, watcher = f"buyer{run}", f"watcher{run}"
    status, basket = call(
        local_topology,
        "POST",
        "/basket",
        {
            "userName": buyer,
            "items": [{"productId": phone["id"], "quantity": 2}, {"productId": case["id"], "quantity": 1}],
        },
    )
    assert status == 200, basket
    assert Decimal(basket["totalPrice"]) == Decimal("22.50")
    checkout = {
        "userName": buyer,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "address": "1 Analytical Way",
        "paymentMethod": "card",
    }
    status, accepted = call(local_topology, "POST", "/basket/checkout", checkout)
    assert status == 202, accepted

    # THEN the order appears with the right total
    def order() -> Any:
        status, page = call(local_topology, "GET", f"/order/{buyer}")
        return page["items"] if status == 200 and page["items"] else None

    [placed] = wait_for(order, timeout=90)
    assert Decimal(placed["totalPrice"]) == Decimal("22.50")
    assert {(i["productId"], i["quantity"]) for i in placed["items"]} == {(phone["id"], 2), (case["id"], 1)}

    # WHEN another user has an open basket and the phone's price changes
    status, open_basket = call(
        local_topology, "POST", "/basket", {"userName": watcher, "items": [{"productId": phone["id"], "quantity": 3}]}
    )
    assert status == 200 and Decimal(open_basket["totalPrice"]) == Decimal("30.00")
    assert call(local_topology, "PUT", f"/product/{phone['id']}", {"price": "12.00"})[0] == 200

    # THEN the price change reaches the open basket
    def repriced() -> Any:
        status, current = call(local_topology, "GET", f"/basket/{watcher}")
        return current if status == 200 and Decimal(current["totalPrice"]) == Decimal("36.00") else None

    current = wait_for(repriced, timeout=90)
    assert Decimal(current["items"][0]["price"]) == Decimal("12.00")


def test_unknown_routes_answer_like_api_gateway(local_topology: LocalTopology) -> None:
    local_topology.require(STACK)
    assert call(local_topology, "GET", "/nothing-here") == (403, {"message": "Missing Authentication Token"})
    status, body = call(local_topology, "POST", "/basket", {"userName": "x", "unexpected": 1})
    assert status in (400, 422) and "Traceback" not in json.dumps(body)


def _checkout_body(user: str) -> dict[str, str]:
    return {
        "userName": user,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "address": "12 Analytical Way",
        "paymentMethod": "paypal",
    }


def _orders_of(topology: LocalTopology, user: str) -> list[dict[str, Any]]:
    status, page = call(topology, "GET", f"/order/{user}")
    assert status == 200, page
    return list(page["items"])


def _orders_once_all_arrived(topology: LocalTopology, users: list[str], want: int) -> list[dict[str, Any]] | None:
    found = [order for user in users for order in _orders_of(topology, user)]
    return found if len(found) >= want else None


def test_parallel_checkouts_give_one_order_per_basket(local_topology: LocalTopology) -> None:
    local_topology.require(STACK)
    run = uuid.uuid4().hex[:8]
    status, product = call(
        local_topology, "POST", "/product", {"name": f"Lamp {run}", "price": "4.25", "category": "Home"}
    )
    assert status == 201, product
    users = [f"par{run}u{n}" for n in range(10)]
    for user in users:
        body = {"userName": user, "items": [{"productId": product["id"], "quantity": 2}]}
        assert call(local_topology, "POST", "/basket", body)[0] == 200
    # WHEN each of the 10 baskets is checked out by 8 requests at once
    answers = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for user in users:
            parallel = pool.map(
                lambda u: call(local_topology, "POST", "/basket/checkout", _checkout_body(u)), [user] * 8
            )
            answers += [(user, answer) for answer in parallel]
    # THEN each basket has exactly one 202 (with its order); every other answer is a 409 with a reason
    for user in users:
        mine = [answer for who, answer in answers if who == user]
        assert sorted(status for status, _ in mine) == [202] + [409] * 7, mine
        assert all(body["message"] for status, body in mine if status == 409)
    accepted = {who: body["checkoutId"] for who, (status, body) in answers if status == 202}
    # AND exactly 10 orders are stored, one per basket, with the accepted ids
    placed = wait_for(partial(_orders_once_all_arrived, local_topology, users, len(users)), timeout=120)
    assert sorted((o["userName"], o["orderId"]) for o in placed) == sorted(accepted.items())
    assert {o["totalPrice"] for o in placed} == {"8.50"}


def test_a_repeated_checkout_with_the_same_idempotency_key_gets_the_same_answer(
    local_topology: LocalTopology,
) -> None:
    local_topology.require(STACK)
    run = uuid.uuid4().hex[:8]
    user = f"idem{run}"
    status, product = call(
        local_topology, "POST", "/product", {"name": f"Mug {run}", "price": "3.00", "category": "Home"}
    )
    assert status == 201
    assert (
        call(
            local_topology,
            "POST",
            "/basket",
            {"userName": user, "items": [{"productId": product["id"], "quantity": 1}]},
        )[0]
        == 200
    )
    key = {"Idempotency-Key": f"e2e-{run}"}
    first = call(local_topology, "POST", "/basket/checkout", _checkout_body(user), key)
    again = call(local_topology, "POST", "/basket/checkout", _checkout_body(user), key)
    assert first[0] == 202 and again == first
    assert call(local_topology, "POST", "/basket/checkout", _checkout_body(user))[0] == 409
    [order] = wait_for(lambda: _orders_of(local_topology, user), timeout=90)
    assert order["orderId"] == first[1]["checkoutId"]


def test_two_checkouts_of_one_user_in_the_same_millisecond_are_two_orders(local_topology: LocalTopology) -> None:
    local_topology.require(STACK)
    run = uuid.uuid4().hex[:8]
    user = f"twice{run}"
    # GIVEN one user who checks out one basket, fills another and checks it out too (through the API)
    status, product = call(
        local_topology, "POST", "/product", {"name": f"Pen {run}", "price": "1.00", "category": "Office"}
    )
    assert status == 201
    accepted = []
    for quantity in (1, 2):
        basket = {"userName": user, "items": [{"productId": product["id"], "quantity": quantity}]}
        assert call(local_topology, "POST", "/basket", basket)[0] == 200
        status, body = call(local_topology, "POST", "/basket/checkout", _checkout_body(user))
        assert status == 202, body
        accepted.append(body)
    # AND two more checkouts of different baskets stamped with the same millisecond (put on the bus directly: the
    # API cannot be made to hit one millisecond on purpose)
    names = [b["Name"] for b in local_topology.client("events").list_event_buses()["EventBuses"]]
    bus = local_topology.name_of(names, STACK, "EventBus")
    same_ms = "2026-11-23T12:00:00.000Z"
    entries = []
    for n, body in enumerate(accepted):
        data = {**_checkout_body(user), "checkoutId": f"{body['checkoutId']}-same-ms", "checkoutTime": same_ms}
        data |= {"items": body["items"], "totalPrice": body["totalPrice"]}
        detail = {"metadata": {"eventId": f"e2e-{run}-{n}", "correlationId": run}, "data": data}
        entries.append(
            {
                "Source": "com.swn.basket.checkoutbasket",
                "DetailType": "CheckoutBasket",
                "Detail": json.dumps(detail),
                "EventBusName": bus,
            }
        )
    assert local_topology.client("events").put_events(Entries=entries)["FailedEntryCount"] == 0
    # THEN four orders, the two of the same millisecond side by side, and a query by that millisecond finds both
    orders = wait_for(partial(_orders_once_all_arrived, local_topology, [user], 4), timeout=120)
    assert len({o["orderId"] for o in orders}) == 4
    status, exact = call(local_topology, "GET", f"/order/{user}?orderDate={same_ms}")
    assert status == 200 and sorted(o["totalPrice"] for o in exact["items"]) == ["1.00", "2.00"]
