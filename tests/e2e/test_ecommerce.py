"""Seed scenario 1: product CRUD, basket, checkout -> order with the right total, a price change reaching a basket."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from decimal import Decimal
from typing import Any

import pytest
from localrun.testing import LocalTopology, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
STACK = "EcommerceStack"


def call(topology: LocalTopology, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{topology.api}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
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
