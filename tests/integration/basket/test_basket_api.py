"""The basket Lambda handler with API Gateway REST proxy events (prod stage), against moto."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Invoke = Callable[[dict[str, Any]], tuple[int, Any, dict[str, str]]]
Build = Callable[..., dict[str, Any]]
PHONE = "1b8f2d3e-7c1a-4f0e-9a55-0c2d7a6b9e11"
CASE = "7d1c5a9e-3b2f-4e8d-a6c0-5f4e3d2c1b0a"
CHECKOUT = {
    "userName": "swn",
    "firstName": "Mehmet",
    "lastName": "Ozkaya",
    "email": "m@example.com",
    "address": "Istanbul",
    "paymentMethod": "card",
}


def _basket(*items: tuple[str, int]) -> dict[str, Any]:
    return {"userName": "swn", "items": [{"productId": p, "quantity": q} for p, q in items]}


def test_post_prices_the_basket_from_the_product_table(invoke: Invoke, api_event: Build) -> None:
    # WHEN
    status, body, _ = invoke(api_event("POST", "/basket", body=_basket((PHONE, 2), (CASE, 3))))
    # THEN
    assert status == 200
    assert [(i["productName"], i["price"]) for i in body["items"]] == [("IPhone X", "950.40"), ("Phone case", "19.99")]
    assert body["totalPrice"] == "1960.77"
    assert invoke(api_event("GET", "/basket/swn"))[:2] == (200, body)


def test_client_prices_are_refused(invoke: Invoke, api_event: Build) -> None:
    body = {"userName": "swn", "items": [{"productId": PHONE, "quantity": 1, "price": "0.01"}]}
    status, answer, _ = invoke(api_event("POST", "/basket", body=body))
    assert status == 422 and answer["errors"][0]["loc"] == ["body", "items", 0, "price"]


def test_unknown_products_answer_409_with_their_ids(invoke: Invoke, api_event: Build) -> None:
    status, body, _ = invoke(api_event("POST", "/basket", body=_basket((PHONE, 1), ("ghost", 1))))
    assert (status, body) == (409, {"message": "unknown product ids: ghost"})


def test_the_stored_basket_keeps_a_product_id_set_for_the_price_fan_out(
    invoke: Invoke, api_event: Build, tables: dict[str, Any]
) -> None:
    invoke(api_event("POST", "/basket", body=_basket((PHONE, 1), (CASE, 1), (PHONE, 2))))
    assert tables["basket"].get_item(Key={"userName": "swn"})["Item"]["productIds"] == {PHONE, CASE}


def test_missing_baskets_are_404_and_delete_is_204(invoke: Invoke, api_event: Build) -> None:
    assert invoke(api_event("GET", "/basket/nobody"))[:2] == (404, {"message": "no basket for user nobody"})
    assert invoke(api_event("DELETE", "/basket/nobody"))[0] == 404
    invoke(api_event("POST", "/basket", body=_basket((PHONE, 1))))
    assert invoke(api_event("DELETE", "/basket/swn"))[:2] == (204, "")
    assert invoke(api_event("GET", "/basket/swn"))[0] == 404


def test_checkout_publishes_checkout_basket_answers_202_and_empties_the_basket(
    invoke: Invoke, api_event: Build, bus: Callable[[], list[dict[str, Any]]]
) -> None:
    # GIVEN
    invoke(api_event("POST", "/basket", body=_basket((PHONE, 2))))
    event = api_event("POST", "/basket/checkout", body={**CHECKOUT, "cardBrand": "visa", "cardLast4": "4242"})
    # WHEN
    status, body, _ = invoke(event)
    # THEN
    assert status == 202
    [published] = bus()
    assert (published["source"], published["detail-type"]) == ("com.swn.basket.checkoutbasket", "CheckoutBasket")
    data = published["detail"]["data"]
    assert data["checkoutId"] == body["checkoutId"]
    assert data["totalPrice"] == body["totalPrice"] == "1900.80"
    assert data["cardLast4"] == "4242"
    assert published["detail"]["metadata"]["correlationId"] == event["requestContext"]["requestId"]
    assert invoke(api_event("GET", "/basket/swn"))[0] == 404


def test_a_card_number_is_refused_and_never_echoed_or_published(
    invoke: Invoke, api_event: Build, bus: Callable[[], list[dict[str, Any]]], sample: Callable[[str], Any]
) -> None:
    # GIVEN
    invoke(api_event("POST", "/basket", body=_basket((PHONE, 1))))
    for body in [{**CHECKOUT, "address": "4111 1111 1111 1111"}, {**CHECKOUT, "cardNumber": "4111111111111111"}]:
        # WHEN
        status, answer, _ = invoke(api_event("POST", "/basket/checkout", body=body))
        # THEN
        assert status == 422
        assert "4111" not in str(answer)
    assert invoke(sample("checkout-card-number-rejected.json"))[0] == 422
    assert bus() == []
    assert invoke(api_event("GET", "/basket/swn"))[0] == 200


def test_checkout_of_a_missing_or_empty_basket(invoke: Invoke, api_event: Build) -> None:
    assert invoke(api_event("POST", "/basket/checkout", body=CHECKOUT))[:2] == (
        404,
        {"message": "no basket for user swn"},
    )
    invoke(api_event("POST", "/basket", body=_basket()))
    assert invoke(api_event("POST", "/basket/checkout", body=CHECKOUT))[:2] == (
        409,
        {"message": "the basket of user swn is empty"},
    )


def test_a_missing_bus_fails_the_checkout_with_503_and_keeps_the_basket(invoke: Invoke, api_event: Build) -> None:
    # GIVEN no event bus exists (so PutEvents fails)
    invoke(api_event("POST", "/basket", body=_basket((PHONE, 1))))
    # WHEN
    status, body, _ = invoke(api_event("POST", "/basket/checkout", body=CHECKOUT))
    # THEN
    assert status == 503 and body["correlationId"]
    assert invoke(api_event("GET", "/basket/swn"))[0] == 200


@pytest.mark.parametrize("path", ["/basket/a b", "/basket/" + "x" * 200])
def test_bad_user_names_in_the_path_answer_422(invoke: Invoke, api_event: Build, path: str) -> None:
    assert invoke(api_event("GET", path))[0] == 422


def test_openapi_behind_the_prod_stage(invoke: Invoke, sample: Callable[[str], Any]) -> None:
    status, doc, _ = invoke(sample("openapi.json"))
    assert status == 200
    assert doc["servers"] == [{"url": "/prod"}]
    assert set(doc["paths"]) == {"/basket", "/basket/{userName}", "/basket/checkout"}


def test_the_shipped_sample_events_work(invoke: Invoke, sample: Callable[[str], Any], bus: Any) -> None:
    assert invoke(sample("create-basket.json"))[0] == 200
    assert invoke(sample("get-basket.json"))[0] == 200
    assert invoke(sample("checkout.json"))[0] == 202
    invoke(sample("create-basket.json"))
    assert invoke(sample("delete-basket.json"))[0] == 204


# -- who may do what: the caller is the authorizer's user, and a user touches only their own basket ---------------
def test_a_user_cannot_read_change_or_check_out_another_users_basket(
    invoke: Invoke, api_event: Build, claims_for: Callable[..., dict[str, str]], tables: dict[str, Any]
) -> None:
    # GIVEN swn's basket, and bob signed in (even as an admin: baskets are their owner's alone)
    invoke(api_event("POST", "/basket", body=_basket((PHONE, 1))))
    for bob in (claims_for("bob"), claims_for("bob", "admins")):
        # WHEN bob reads, replaces, deletes or checks out swn's basket
        attempts = [
            api_event("GET", "/basket/swn", claims=bob),
            api_event("POST", "/basket", body=_basket((CASE, 9)), claims=bob),
            api_event("DELETE", "/basket/swn", claims=bob),
            api_event("POST", "/basket/checkout", body=CHECKOUT, claims=bob),
        ]
        # THEN each is refused with the reason, and swn's basket is untouched
        for event in attempts:
            assert invoke(event)[:2] == (403, {"message": "signed in as bob: you may not access the basket of swn"})
    status, body, _ = invoke(api_event("GET", "/basket/swn"))
    assert status == 200 and [i["productId"] for i in body["items"]] == [PHONE]


def test_without_a_signed_in_user_every_basket_route_is_401(invoke: Invoke, api_event: Build) -> None:
    for event in [
        api_event("GET", "/basket/swn", anonymous=True),
        api_event("POST", "/basket", body=_basket((PHONE, 1)), anonymous=True),
        api_event("DELETE", "/basket/swn", anonymous=True),
        api_event("POST", "/basket/checkout", body=CHECKOUT, anonymous=True),
    ]:
        status, body, _ = invoke(event)
        assert status == 401 and body["message"].startswith("sign in first")


@pytest.mark.parametrize(
    ("path", "allow"),
    [("/basket/checkout", "POST, OPTIONS"), ("/basket/swn", "GET, DELETE, OPTIONS"), ("/basket", "POST, OPTIONS")],
)
def test_options_behind_the_prod_stage_names_the_documented_methods(
    invoke: Invoke, api_event: Build, path: str, allow: str
) -> None:
    status, _, headers = invoke(api_event("OPTIONS", path))
    assert (status, headers["allow"]) == (204, allow)
    status, body, headers = invoke(api_event("PATCH", path))
    assert (status, headers["allow"], body) == (405, allow, {"message": "Method Not Allowed"})
