"""Validation of product bodies: what is accepted, what is refused, and how prices travel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from product.models.product import Product, ProductCreate, ProductUpdate
from pydantic import ValidationError

VALID = {"name": "IPhone X", "description": "A phone", "imageFile": "p.png", "price": "950.40", "category": "Phone"}


@pytest.mark.parametrize("price", [0, -1, "0.00", "1.001", "abc", "NaN", "Infinity", 10**13, None])
def test_bad_prices_are_refused(price: Any) -> None:
    with pytest.raises(ValidationError) as info:
        ProductCreate.model_validate({**VALID, "price": price})
    assert info.value.errors()[0]["loc"] == ("price",)


@pytest.mark.parametrize("price", [950.4, "950.40", 1, "0.01"])
def test_prices_become_exact_decimals(price: Any) -> None:
    # WHEN
    created = ProductCreate.model_validate({**VALID, "price": price})
    # THEN
    assert isinstance(created.price, Decimal)
    assert created.price == Decimal(str(price))


def test_the_stored_item_keeps_the_price_a_decimal_and_the_json_a_two_place_string() -> None:
    # GIVEN
    product = Product.model_validate({**VALID, "id": "p1", "price": "950.4"})
    # THEN
    assert product.to_item()["price"] == Decimal("950.4")
    assert not isinstance(product.to_item()["price"], float)
    assert product.model_dump(mode="json")["price"] == "950.40"


@pytest.mark.parametrize("field", ["id", "cardInfo", "unknown"])
def test_unknown_fields_are_refused(field: str) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        ProductCreate.model_validate({**VALID, field: "x"})


@pytest.mark.parametrize("missing", ["name", "price", "category"])
def test_required_fields(missing: str) -> None:
    body = {k: v for k, v in VALID.items() if k != missing}
    with pytest.raises(ValidationError):
        ProductCreate.model_validate(body)


def test_an_update_must_change_something() -> None:
    with pytest.raises(ValidationError, match="at least one field"):
        ProductUpdate.model_validate({})


@pytest.mark.parametrize("body", [{"name": None}, {"price": None, "category": "c"}])
def test_null_is_refused_rather_than_ignored(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="null does not clear a field"):
        ProductUpdate.model_validate(body)


def test_an_update_reports_only_the_fields_given() -> None:
    assert ProductUpdate.model_validate({"price": "5", "name": " Trimmed "}).changes() == {
        "price": Decimal(5),
        "name": "Trimmed",
    }


@pytest.mark.parametrize(
    ("given", "price"), [(0.07, "0.07"), (9.99, "9.99"), (12, "12"), ("0.5", "0.5"), (".05", "0.05")]
)
def test_prices_are_taken_to_the_cent(given: Any, price: str) -> None:
    assert ProductCreate.model_validate({"name": "n", "category": "c", "price": given}).price == Decimal(price)


@pytest.mark.parametrize("given", ["1e3", "-1", "+1", " 1", "0.00", "1.005", 1.005, 0, True, 1e300, "12345678901"])
def test_prices_the_openapi_document_refuses_are_refused(given: Any) -> None:
    with pytest.raises(ValidationError):
        ProductCreate.model_validate({"name": "n", "category": "c", "price": given})
