"""Boundary validation: basket bodies and checkout bodies (no card data beyond brand and last four digits)."""

from __future__ import annotations

from typing import Any

import pytest
from basket.models.basket import BasketIn
from basket.models.checkout import CheckoutIn, looks_like_card_number
from pydantic import ValidationError

CHECKOUT = {
    "userName": "swn",
    "firstName": "Mehmet",
    "lastName": "Ozkaya",
    "email": "m@example.com",
    "address": "Istanbul",
    "paymentMethod": "card",
}


@pytest.mark.parametrize("field", ["cardNumber", "cvv", "cvc", "securityCode", "cardInfo", "price"])
def test_card_fields_and_unknown_fields_are_refused(field: str) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        CheckoutIn.model_validate({**CHECKOUT, field: "123"})


@pytest.mark.parametrize(
    ("field", "value"),
    [("address", "4111 1111 1111 1111"), ("cardBrand", "4242-4242-4242-4242"), ("lastName", "5555555555554444")],
)
def test_a_card_number_in_any_field_is_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match="looks like a card number"):
        CheckoutIn.model_validate({**CHECKOUT, field: value})


@pytest.mark.parametrize("last4", ["424", "42424", "abcd", "42a2", "4242 4242"])
def test_card_last4_is_exactly_four_digits(last4: str) -> None:
    with pytest.raises(ValidationError):
        CheckoutIn.model_validate({**CHECKOUT, "cardLast4": last4})


def test_brand_and_last_four_digits_are_accepted() -> None:
    checkout = CheckoutIn.model_validate({**CHECKOUT, "cardBrand": "visa", "cardLast4": "4242"})
    assert (checkout.cardBrand, checkout.cardLast4) == ("visa", "4242")


@pytest.mark.parametrize("text", ["+44 20 7946 0958", "Flat 12, 221B Baker St, NW1 6XE", "1234567890123"])
def test_phone_numbers_and_addresses_are_not_mistaken_for_card_numbers(text: str) -> None:
    assert not looks_like_card_number(text)


@pytest.mark.parametrize("email", ["plain", "a@b", "two@@example.com", "sp ace@example.com"])
def test_malformed_emails_are_refused(email: str) -> None:
    with pytest.raises(ValidationError):
        CheckoutIn.model_validate({**CHECKOUT, "email": email})


@pytest.mark.parametrize(
    "items",
    [
        [{"productId": "p", "quantity": 0}],
        [{"productId": "p", "quantity": 1001}],
        [{"productId": "p", "quantity": 1, "price": "0.01"}],  # prices never come from clients
        [{"productId": "p", "quantity": 1, "productName": "Cheap"}],
        [{"productId": "", "quantity": 1}],
        [{"productId": "p", "quantity": 1}] * 101,
    ],
)
def test_bad_basket_items_are_refused(items: list[dict[str, Any]]) -> None:
    with pytest.raises(ValidationError):
        BasketIn.model_validate({"userName": "swn", "items": items})


@pytest.mark.parametrize("user", ["", "a b", "a/b", "x" * 129])
def test_user_names_are_restricted(user: str) -> None:
    with pytest.raises(ValidationError):
        BasketIn.model_validate({"userName": user, "items": []})
