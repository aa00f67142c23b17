"""Seed scenario 1: product CRUD, basket, checkout -> order with the right total, a price change reaching a basket;
and who may call the API: every signed-in user sees only their own basket and orders (issue 12)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from typing import Any

import jwt
import pytest
from localrun_testing import TopologyUnderTest, call_api, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
STACK = "EcommerceStack"


def call(
    topology: TopologyUnderTest,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    status, answer, _ = call_api(topology.api, method, path, body, token=token, headers=headers)
    return status, answer


def token_of(topology: TopologyUnderTest, user: str, *, admin: bool = False) -> str:
    """An ID token of ``user`` of the stack's user pool (in admins with ``admin``)."""
    return topology.token(user, admin=admin, pool=STACK)


def checkout_body(user: str) -> dict[str, str]:
    return {
        "userName": user,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "address": "1 Analytical Way",
        "paymentMethod": "card",
    }


def test_shop_flow(local_topology: TopologyUnderTest) -> None:
    local_topology.require(STACK)
    run = uuid.uuid4().hex[:8]
    admin = token_of(local_topology, f"admin{run}", admin=True)
    # GIVEN two products (product CRUD, by an admin)
    status, phone = call(
        local_topology,
        "POST",
        "/product",
        {"name": f"Phone {run}", "description": "e2e", "price": "10.00", "category": "Phone"},
        admin,
    )
    assert status == 201, phone
    status, case = call(
        local_topology, "POST", "/product", {"name": f"Case {run}", "price": "2.50", "category": "Accessory"}, admin
    )
    assert status == 201, case
    assert call(local_topology, "GET", f"/product/{phone['id']}") == (200, phone)  # reading needs no token
    status, changed = call(local_topology, "PUT", f"/product/{case['id']}", {"description": "sturdy"}, admin)
    assert (status, changed["description"]) == (200, "sturdy")
    status, doomed = call(
        local_topology, "POST", "/product", {"name": f"Gone {run}", "price": 1, "category": "X"}, admin
    )
    assert status == 201
    assert call(local_topology, "DELETE", f"/product/{doomed['id']}", token=admin)[0] == 204
    assert call(local_topology, "GET", f"/product/{doomed['id']}")[0] == 404

    # WHEN a signed-in user fills their basket and checks out
    buyer, watcher = f"buyer{run}", f"watcher{run}"
    buyer_token, watcher_token = token_of(local_topology, buyer), token_of(local_topology, watcher)
    status, basket = call(
        local_topology,
        "POST",
        "/basket",
        {
            "userName": buyer,
            "items": [{"productId": phone["id"], "quantity": 2}, {"productId": case["id"], "quantity": 1}],
        },
        buyer_token,
    )
    assert status == 200, basket
    assert Decimal(basket["totalPrice"]) == Decimal("22.50")
    status, accepted = call(local_topology, "POST", "/basket/checkout", checkout_body(buyer), buyer_token)
    assert status == 202, accepted

    # THEN the order appears with the right total
    def order() -> Any:
        status, page = call(local_topology, "GET", f"/order/{buyer}", token=buyer_token)
        return page["items"] if status == 200 and page["items"] else None

    [placed] = wait_for(order, timeout=90)
    assert Decimal(placed["totalPrice"]) == Decimal("22.50")
    assert {(i["productId"], i["quantity"]) for i in placed["items"]} == {(phone["id"], 2), (case["id"], 1)}

    # WHEN another user has an open basket and the phone's price changes
    status, open_basket = call(
        local_topology,
        "POST",
        "/basket",
        {"userName": watcher, "items": [{"productId": phone["id"], "quantity": 3}]},
        watcher_token,
    )
    assert status == 200 and Decimal(open_basket["totalPrice"]) == Decimal("30.00")
    assert call(local_topology, "PUT", f"/product/{phone['id']}", {"price": "12.00"}, admin)[0] == 200

    # THEN the price change reaches the open basket
    def repriced() -> Any:
        status, current = call(local_topology, "GET", f"/basket/{watcher}", token=watcher_token)
        return current if status == 200 and Decimal(current["totalPrice"]) == Decimal("36.00") else None

    current = wait_for(repriced, timeout=90)
    assert Decimal(current["items"][0]["price"]) == Decimal("12.00")


def test_unknown_routes_answer_like_api_gateway(local_topology: TopologyUnderTest) -> None:
    local_topology.require(STACK)
    assert call(local_topology, "GET", "/nothing-here") == (403, {"message": "Missing Authentication Token"})
    token = token_of(local_topology, "x")
    status, body = call(local_topology, "POST", "/basket", {"userName": "x", "unexpected": 1}, token)
    assert status in (400, 422) and "Traceback" not in json.dumps(body)


# -- who may call the API --------------------------------------------------------------------------------------
UNAUTHORIZED = (401, {"message": "Unauthorized"})


def _as_the_pool(claims: dict[str, Any]) -> str:
    """``claims`` signed with the private key moto signs every local pool's tokens with (it ships in moto)."""
    from moto.utilities.utils import load_resource

    key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode(claims, key.key, "RS256", headers={"kid": key.key_id})


@contextmanager
def _other_pool_token(topology: TopologyUnderTest, user: str) -> Iterator[str]:
    """A real ID token of a user of another pool on the same endpoint (same moto key, its own issuer), while that
    pool exists."""
    cognito = topology.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName=f"other-{user}")["UserPool"]["Id"]
    try:
        client = cognito.create_user_pool_client(
            UserPoolId=pool, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(UserPoolId=pool, Username=user, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=pool, Username=user, Password="Other-Passw0rd!", Permanent=True)
        auth = cognito.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": "Other-Passw0rd!"},
        )
        yield str(auth["AuthenticationResult"]["IdToken"])
    finally:  # the endpoint keeps one pool, which TopologyUnderTest.token then finds without being told
        cognito.delete_user_pool(UserPoolId=pool)


def test_no_token_or_a_bad_one_is_401(local_topology: TopologyUnderTest) -> None:
    local_topology.require(STACK)
    from cryptography.hazmat.primitives.asymmetric import rsa

    run = uuid.uuid4().hex[:8]
    user = f"mallory{run}"
    real = jwt.decode(token_of(local_topology, user), options={"verify_signature": False})
    now = int(time.time())
    with _other_pool_token(local_topology, user) as other_pool:
        bad_tokens = {
            "none": None,
            "forged": jwt.encode(
                real, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256", headers={"kid": "dummy"}
            ),
            "expired": _as_the_pool({**real, "iat": now - 7200, "exp": now - 3600}),
            "other pool": other_pool,
        }
        guarded = [
            ("GET", f"/basket/{user}", None),
            ("POST", "/basket", {"userName": user, "items": []}),
            ("DELETE", f"/basket/{user}", None),
            ("POST", "/basket/checkout", checkout_body(user)),
            ("GET", f"/order/{user}", None),
            ("GET", "/order", None),
            ("POST", "/product", {"name": "Nope", "price": "1.00", "category": "X"}),
        ]
        for what, token in bad_tokens.items():
            for method, path, body in guarded:
                assert call(local_topology, method, path, body, token) == UNAUTHORIZED, (what, method, path)
    # AND the same token unexpired passes (so it was the expiry that failed it)
    assert call(local_topology, "GET", f"/basket/{user}", token=_as_the_pool({**real, "exp": now + 600}))[0] == 404
    # AND the catalogue and the API documents stay public
    assert call(local_topology, "GET", "/product")[0] == 200
    for service in ("product", "basket", "order"):
        status, doc = call(local_topology, "GET", f"/{service}/openapi.json")
        assert status == 200 and doc["components"]["securitySchemes"]["cognitoIdToken"]["scheme"] == "bearer"


def test_users_see_only_their_own_baskets_and_orders(local_topology: TopologyUnderTest) -> None:
    local_topology.require(STACK)
    run = uuid.uuid4().hex[:8]
    ann, bob = f"ann{run}", f"bob{run}"
    ann_token, bob_token = token_of(local_topology, ann), token_of(local_topology, bob)
    admin = token_of(local_topology, f"admin{run}", admin=True)
    status, product = call(
        local_topology, "POST", "/product", {"name": f"Lamp {run}", "price": "5.00", "category": "Home"}, admin
    )
    assert status == 201
    # GIVEN ann's basket
    basket = {"userName": ann, "items": [{"productId": product["id"], "quantity": 1}]}
    assert call(local_topology, "POST", "/basket", basket, ann_token)[0] == 200
    # WHEN bob reads, replaces, deletes or checks out ann's basket THEN each is refused with the reason
    refused = (403, {"message": f"signed in as {bob}: you may not access the basket of {ann}"})
    assert call(local_topology, "GET", f"/basket/{ann}", token=bob_token) == refused
    assert call(local_topology, "POST", "/basket", {**basket, "items": []}, bob_token) == refused
    assert call(local_topology, "DELETE", f"/basket/{ann}", token=bob_token) == refused
    assert call(local_topology, "POST", "/basket/checkout", checkout_body(ann), bob_token) == refused
    # AND ann's basket is as she left it; she checks it out
    status, kept = call(local_topology, "GET", f"/basket/{ann}", token=ann_token)
    assert status == 200 and [i["productId"] for i in kept["items"]] == [product["id"]]
    assert call(local_topology, "POST", "/basket/checkout", checkout_body(ann), ann_token)[0] == 202

    def orders_of(user: str, token: str) -> Any:
        status, page = call(local_topology, "GET", f"/order/{user}", token=token)
        return page["items"] if status == 200 and page["items"] else None

    [placed] = wait_for(lambda: orders_of(ann, ann_token), timeout=90)
    # THEN bob cannot read ann's orders, nor list everyone's; an admin can
    assert call(local_topology, "GET", f"/order/{ann}", token=bob_token) == (
        403,
        {"message": f"signed in as {bob}: you may not access the orders of {ann}"},
    )
    assert call(local_topology, "GET", "/order", token=bob_token) == (
        403,
        {"message": "only members of the admins group may GET /order"},
    )
    assert call(local_topology, "POST", "/product", {"name": "x", "price": "1", "category": "X"}, bob_token)[0] == 403

    def listed() -> Any:
        status, page = call(local_topology, "GET", "/order?limit=100", token=admin)
        assert status == 200, page
        seen = [page]
        while page.get("nextToken"):
            status, page = call(local_topology, "GET", f"/order?limit=100&nextToken={page['nextToken']}", token=admin)
            seen.append(page)
        return [o for p in seen for o in p["items"] if o["userName"] == ann]

    assert [o["orderId"] for o in listed()] == [placed["orderId"]]


# -- exactly-once checkout (issue 11) ----------------------------------------------------------------------------
def _orders_of(topology: TopologyUnderTest, user: str) -> list[dict[str, Any]]:
    status, page = call(topology, "GET", f"/order/{user}", token=token_of(topology, user))
    assert status == 200, page
    return list(page["items"])


def _orders_once_all_arrived(topology: TopologyUnderTest, users: list[str], want: int) -> list[dict[str, Any]] | None:
    found = [order for user in users for order in _orders_of(topology, user)]
    return found if len(found) >= want else None


def test_parallel_checkouts_give_one_order_per_basket(local_topology: TopologyUnderTest) -> None:
    local_topology.require(STACK)
    run = uuid.uuid4().hex[:8]
    admin = token_of(local_topology, f"admin{run}", admin=True)
    status, product = call(
        local_topology, "POST", "/product", {"name": f"Lamp {run}", "price": "4.25", "category": "Home"}, admin
    )
    assert status == 201, product
    users = [f"par{run}u{n}" for n in range(10)]
    tokens = {user: token_of(local_topology, user) for user in users}
    for user in users:
        body = {"userName": user, "items": [{"productId": product["id"], "quantity": 2}]}
        assert call(local_topology, "POST", "/basket", body, tokens[user])[0] == 200
    # WHEN each of the 10 baskets is checked out by 8 requests at once
    answers = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for user in users:
            parallel = pool.map(
                lambda u: call(local_topology, "POST", "/basket/checkout", checkout_body(u), tokens[u]), [user] * 8
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
    local_topology: TopologyUnderTest,
) -> None:
    local_topology.require(STACK)
    run = uuid.uuid4().hex[:8]
    user = f"idem{run}"
    admin, token = token_of(local_topology, f"admin{run}", admin=True), token_of(local_topology, user)
    status, product = call(
        local_topology, "POST", "/product", {"name": f"Mug {run}", "price": "3.00", "category": "Home"}, admin
    )
    assert status == 201
    basket = {"userName": user, "items": [{"productId": product["id"], "quantity": 1}]}
    assert call(local_topology, "POST", "/basket", basket, token)[0] == 200
    key = {"Idempotency-Key": f"e2e-{run}"}
    first = call(local_topology, "POST", "/basket/checkout", checkout_body(user), token, key)
    again = call(local_topology, "POST", "/basket/checkout", checkout_body(user), token, key)
    assert first[0] == 202 and again == first
    assert call(local_topology, "POST", "/basket/checkout", checkout_body(user), token)[0] == 409
    [order] = wait_for(lambda: _orders_of(local_topology, user), timeout=90)
    assert order["orderId"] == first[1]["checkoutId"]


def test_two_checkouts_of_one_user_in_the_same_millisecond_are_two_orders(local_topology: TopologyUnderTest) -> None:
    local_topology.require(STACK)
    run = uuid.uuid4().hex[:8]
    user = f"twice{run}"
    admin, token = token_of(local_topology, f"admin{run}", admin=True), token_of(local_topology, user)
    # GIVEN one user who checks out one basket, fills another and checks it out too (through the API)
    status, product = call(
        local_topology, "POST", "/product", {"name": f"Pen {run}", "price": "1.00", "category": "Office"}, admin
    )
    assert status == 201
    accepted = []
    for quantity in (1, 2):
        basket = {"userName": user, "items": [{"productId": product["id"], "quantity": quantity}]}
        assert call(local_topology, "POST", "/basket", basket, token)[0] == 200
        status, body = call(local_topology, "POST", "/basket/checkout", checkout_body(user), token)
        assert status == 202, body
        accepted.append(body)
    # AND two more checkouts of different baskets stamped with the same millisecond (put on the bus directly: the
    # API cannot be made to hit one millisecond on purpose)
    names = [b["Name"] for b in local_topology.client("events").list_event_buses()["EventBuses"]]
    bus = local_topology.name_of(names, STACK, "EventBus")
    same_ms = "2026-11-23T12:00:00.000Z"
    entries = []
    for n, body in enumerate(accepted):
        data = {**checkout_body(user), "checkoutId": f"{body['checkoutId']}-same-ms", "checkoutTime": same_ms}
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
    status, exact = call(local_topology, "GET", f"/order/{user}?orderDate={same_ms}", token=token)
    assert status == 200 and sorted(o["totalPrice"] for o in exact["items"]) == ["1.00", "2.00"]
