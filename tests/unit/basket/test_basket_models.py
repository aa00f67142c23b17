"""Boundary validation: basket bodies and checkout bodies (no card data beyond brand and last four digits)."""

from __future__ import annotations

from typing import Any

import pytest
from basket.models.basket import BasketIn
from basket.models.checkout import CheckoutIn
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
    "value",
    [
        "4111 1111 1111 1111",
        "12 4111 1111 1111 1111",  # after a house number
        "Flat 3, 4111.1111.1111.1111",
        "4111/1111/1111/1111",
        "4111_1111_1111_1111",
        "4111\t1111\t1111\t1111",
        "4111  1111  1111  1111",
        "5555-5555 5555.4444",
        "3782 822463 10005",  # Amex grouping
    ],
)
@pytest.mark.parametrize("field", ["address", "firstName", "lastName"])
def test_a_card_number_in_free_text_is_refused_however_it_is_written(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match="looks like a card number") as refused:
        CheckoutIn.model_validate({**CHECKOUT, field: value})
    assert "4111" not in str(refused.value.errors(include_input=False))


def test_an_email_holding_a_card_number_is_refused() -> None:
    with pytest.raises(ValidationError, match="looks like a card number"):
        CheckoutIn.model_validate({**CHECKOUT, "email": "4111111111111111@example.com"})


@pytest.mark.parametrize("method", ["card", "paypal", "bank_transfer", "cash_on_delivery"])
def test_payment_methods_are_a_closed_set(method: str) -> None:
    assert CheckoutIn.model_validate({**CHECKOUT, "paymentMethod": method}).paymentMethod == method
    with pytest.raises(ValidationError):
        CheckoutIn.model_validate({**CHECKOUT, "paymentMethod": "4111111111111111"})


def test_card_brands_are_a_closed_set() -> None:
    with pytest.raises(ValidationError):
        CheckoutIn.model_validate({**CHECKOUT, "cardBrand": "4242-4242-4242-4242"})


@pytest.mark.parametrize("user", ["1234567812345670", "0000000000000000", "1234567890123", "98765432109876543"])
def test_digit_only_user_names_are_fine_unless_they_are_card_numbers(user: str) -> None:
    assert BasketIn.model_validate({"userName": user}).userName == user
    assert CheckoutIn.model_validate({**CHECKOUT, "userName": user}).userName == user


@pytest.mark.parametrize("user", ["4111111111111111", "5555555555554444", "378282246310005"])
def test_a_user_name_that_is_a_card_number_is_refused(user: str) -> None:
    with pytest.raises(ValidationError, match="looks like a card number"):
        BasketIn.model_validate({"userName": user})
    with pytest.raises(ValidationError, match="looks like a card number"):
        CheckoutIn.model_validate({**CHECKOUT, "userName": user})


def test_a_card_number_as_a_line_colour_is_refused() -> None:
    with pytest.raises(ValidationError, match="looks like a card number"):
        BasketIn.model_validate(
            {"userName": "u", "items": [{"productId": "p", "quantity": 1, "color": "4111111111111111"}]}
        )


@pytest.mark.parametrize("last4", ["424", "42424", "abcd", "42a2", "4242 4242"])
def test_card_last4_is_exactly_four_digits(last4: str) -> None:
    with pytest.raises(ValidationError):
        CheckoutIn.model_validate({**CHECKOUT, "cardLast4": last4})


def test_brand_and_last_four_digits_are_accepted() -> None:
    checkout = CheckoutIn.model_validate({**CHECKOUT, "cardBrand": "visa", "cardLast4": "4242"})
    assert (checkout.cardBrand, checkout.cardLast4) == ("visa", "4242")


@pytest.mark.parametrize(
    "text", ["+44 20 7946 0958", "Flat 12, 221B Baker St, NW1 6XE", "1234567890123", "+1 (555) 010-4477 ext 12"]
)
def test_phone_numbers_and_addresses_are_not_mistaken_for_card_numbers(text: str) -> None:
    assert CheckoutIn.model_validate({**CHECKOUT, "address": text}).address == text


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_blank_names_are_refused(blank: str) -> None:
    with pytest.raises(ValidationError):
        CheckoutIn.model_validate({**CHECKOUT, "firstName": blank})


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
