"""The order query API with API Gateway REST proxy events (prod stage), against moto."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Invoke = Callable[[dict[str, Any]], tuple[int, Any, dict[str, str]]]
TIMES = ["2026-11-22T23:59:59.999Z", "2026-11-23T08:00:00.000Z", "2026-11-23T12:30:00.500Z", "2026-11-24T00:00:00.000Z"]


@pytest.fixture
def orders(consume: Callable[[dict[str, Any]], Any], sqs_event: Any, checkout_event: Any) -> list[str]:
    """Four orders of swn (ids o0..o3, oldest first) and one of another user."""
    events = [checkout_event(checkoutId=f"o{n}", checkoutTime=t) for n, t in enumerate(TIMES)]
    events.append(checkout_event(checkoutId="x", userName="other", checkoutTime=TIMES[2]))
    assert consume(sqs_event(*events)) == {"batchItemFailures": []}
    return [f"o{n}" for n in range(len(TIMES))]


def _ids(response: tuple[int, Any, Any]) -> list[str]:
    status, body, _ = response
    assert status == 200, body
    return [order["orderId"] for order in body["items"]]


def test_a_users_orders_come_newest_first(invoke: Invoke, api_event: Any, orders: list[str]) -> None:
    assert _ids(invoke(api_event("/order/swn"))) == ["o3", "o2", "o1", "o0"]


@pytest.mark.parametrize(
    ("order_date", "expected"),
    [
        ("2026-11-23", ["o2", "o1"]),
        ("2026-11-23T12", ["o2"]),
        ("2026-11-23T12:30:00.500Z", ["o2"]),
        ("2026-11", ["o3", "o2", "o1", "o0"]),
        ("2025", []),
    ],
)
def test_order_date_matches_a_prefix(
    invoke: Invoke, api_event: Any, orders: list[str], order_date: str, expected: list[str]
) -> None:
    assert _ids(invoke(api_event("/order/swn", query={"orderDate": order_date}))) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"from": "2026-11-23", "to": "2026-11-23"}, ["o2", "o1"]),  # both ends inclusive, as prefixes
        ({"from": "2026-11-23T08:00:00.000Z", "to": "2026-11-24"}, ["o3", "o2", "o1"]),
        ({"from": "2026-11-23T09"}, ["o3", "o2"]),
        ({"to": "2026-11-22"}, ["o0"]),
    ],
)
def test_from_and_to_select_a_range(
    invoke: Invoke, api_event: Any, orders: list[str], query: dict[str, str], expected: list[str]
) -> None:
    assert _ids(invoke(api_event("/order/swn", query=query))) == expected


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"orderDate": "2026-11-23", "from": "2026"}, 400),
        ({"from": "2026-12", "to": "2026-11"}, 400),
        ({"orderDate": "23/11/2026"}, 422),
        ({"limit": "0"}, 422),
        ({"nextToken": "forged"}, 400),
    ],
)
def test_bad_queries_answer_4xx_with_a_reason(
    invoke: Invoke, api_event: Any, query: dict[str, str], status: int
) -> None:
    got, body, _ = invoke(api_event("/order/swn", query=query))
    assert got == status and body["message"]


def test_pages_of_a_users_orders(invoke: Invoke, api_event: Any, orders: list[str]) -> None:
    # WHEN
    status, first, _ = invoke(api_event("/order/swn", query={"limit": "3"}))
    status, second, _ = invoke(api_event("/order/swn", query={"limit": "3", "nextToken": first["nextToken"]}))
    # THEN
    assert [o["orderId"] for o in first["items"] + second["items"]] == ["o3", "o2", "o1", "o0"]
    assert second["nextToken"] is None
    # AND a token of one user is refused for another, and one of other dates for a date query: 400, not 503
    assert invoke(api_event("/order/other", query={"nextToken": first["nextToken"]}))[0] == 400
    for dates in ({"orderDate": "2026-11-22"}, {"from": "2026-11-24"}, {"to": "2026-11-22"}):
        status, body, _ = invoke(api_event("/order/swn", query={**dates, "nextToken": first["nextToken"]}))
        assert (status, body["message"]) == (400, "nextToken is not valid for this query: it belongs to other dates")


def test_list_all_orders_in_pages(invoke: Invoke, api_event: Any, orders: list[str]) -> None:
    seen: list[str] = []
    query = {"limit": "2"}
    for _ in range(10):
        status, body, _ = invoke(api_event("/order", query=query))
        seen += [o["orderId"] for o in body["items"]]
        if body["nextToken"] is None:
            break
        query = {"limit": "2", "nextToken": body["nextToken"]}
    assert sorted(seen) == ["o0", "o1", "o2", "o3", "x"]


def test_an_unknown_user_has_no_orders(invoke: Invoke, api_event: Any) -> None:
    assert invoke(api_event("/order/nobody"))[:2] == (200, {"items": [], "nextToken": None})


def test_orders_carry_exact_money_and_no_card_number(invoke: Invoke, api_event: Any, orders: list[str]) -> None:
    _, body, _ = invoke(api_event("/order/swn", query={"orderDate": "2026-11-23T12"}))
    [order] = body["items"]
    assert order["totalPrice"] == "1900.80" and order["items"][0]["price"] == "950.40"
    assert order["cardLast4"] == "4242"


def test_only_get_is_allowed_and_unknown_routes_are_404(invoke: Invoke, api_event: Any) -> None:
    assert invoke(api_event("/order", method="POST"))[0] == 405
    assert invoke(api_event("/orders"))[:2] == (404, {"message": "Not Found"})


def test_openapi_behind_the_prod_stage(invoke: Invoke, sample: Callable[[str], Any]) -> None:
    status, doc, _ = invoke(sample("openapi.json"))
    assert status == 200 and doc["servers"] == [{"url": "/prod"}]
    params = {p["name"] for p in doc["paths"]["/order/{userName}"]["get"]["parameters"]}
    assert params == {"userName", "orderDate", "from", "to", "limit", "nextToken"}


def test_the_shipped_sample_events(invoke: Invoke, sample: Callable[[str], Any], orders: list[str]) -> None:
    for name in [
        "list-orders.json",
        "get-user-orders.json",
        "get-user-orders-by-date.json",
        "get-user-orders-range.json",
    ]:
        assert invoke(sample(name))[0] == 200, name


# -- who may read what --------------------------------------------------------------------------------------------
def test_a_user_reads_only_their_own_orders(
    invoke: Invoke, make_api_event: Any, sample: Callable[[str], Any], claims_for: Any, orders: list[str]
) -> None:
    template = sample("get-user-orders.json")
    # GIVEN swn's orders; WHEN swn asks THEN they are there
    status, page, _ = invoke(make_api_event(template, "GET", "/order/swn", claims=claims_for("swn")))
    assert status == 200 and len(page["items"]) == 4
    # WHEN bob asks for swn's THEN 403 with the reason
    assert invoke(make_api_event(template, "GET", "/order/swn", claims=claims_for("bob")))[:2] == (
        403,
        {"message": "signed in as bob: you may not access the orders of swn"},
    )
    # AND an admin may read them
    assert invoke(make_api_event(template, "GET", "/order/swn", claims=claims_for("root", "admins")))[0] == 200


def test_listing_every_order_is_for_admins(
    invoke: Invoke, make_api_event: Any, sample: Callable[[str], Any], claims_for: Any, orders: list[str]
) -> None:
    template = sample("list-orders.json")
    assert invoke(make_api_event(template, "GET", "/order", claims=claims_for("swn")))[:2] == (
        403,
        {"message": "only members of the admins group may GET /order"},
    )
    assert invoke(make_api_event(template, "GET", "/order", anonymous=True))[0] == 401
    status, page, _ = invoke(make_api_event(template, "GET", "/order", claims=claims_for("root", "admins")))
    assert status == 200 and {o["userName"] for o in page["items"]} == {"swn", "other"}


def test_openapi_declares_the_id_token(invoke: Invoke, sample: Callable[[str], Any]) -> None:
    _, doc, _ = invoke(sample("openapi.json"))
    assert doc["components"]["securitySchemes"]["cognitoIdToken"]["scheme"] == "bearer"
    assert doc["paths"]["/order"]["get"]["security"] == [{"cognitoIdToken": []}]
    assert doc["paths"]["/order/{userName}"]["get"]["security"] == [{"cognitoIdToken": []}]
