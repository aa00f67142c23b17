"""lambda_common.dynamodb: items of the services' shapes go to DynamoDB's attribute values and back unchanged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lambda_common.dynamodb import deserialize, from_item, serialize, to_item

# Values the services store: text, exact numbers, flags, nulls, string/number sets, nested lists and maps.
numbers = st.one_of(
    st.integers(min_value=-(10**37), max_value=10**37),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**20), max_value=10**20),
)
scalars = st.one_of(st.text(), numbers, st.booleans(), st.none())
values = st.recursive(
    st.one_of(
        scalars,
        st.frozensets(st.text(), min_size=1, max_size=5),
        st.frozensets(st.integers(-1000, 1000), min_size=1, max_size=5),
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@given(values)
def test_every_value_round_trips(value: Any) -> None:
    assert deserialize(serialize(value)) == value


def test_an_item_of_the_services_shapes_round_trips() -> None:
    # GIVEN a basket-like item: text, money, a quantity, nested lines and a string set
    item = {
        "userName": "swn",
        "items": [{"productId": "p1", "quantity": 2, "price": Decimal("950.40"), "color": None}],
        "productIds": {"p1"},
        "active": True,
    }
    # WHEN
    stored = to_item(item)
    # THEN the price is the exact decimal text, and reading it back gives the same values
    assert stored["items"]["L"][0]["M"]["price"] == {"N": "950.40"}
    assert stored["productIds"] == {"SS": ["p1"]}
    assert from_item(stored) == item


@pytest.mark.parametrize(
    "value",
    [1.5, Decimal("NaN"), Decimal("Infinity"), Decimal("1" * 39), object()],
    ids=["float", "nan", "infinity", "39-digits", "object"],
)
def test_values_dynamodb_cannot_store_exactly_are_refused(value: Any) -> None:
    with pytest.raises((TypeError, ArithmeticError)):
        serialize(value)


def test_an_unknown_attribute_type_is_refused() -> None:
    with pytest.raises(TypeError):
        deserialize({"X": "1"})
