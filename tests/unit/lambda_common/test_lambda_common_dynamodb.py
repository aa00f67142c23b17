"""lambda_common.dynamodb: the attribute-value mapping is boto3's (checked against boto3's own serializer)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st
from lambda_common.dynamodb import deserialize, from_item, serialize, to_item

# Values the services store: text, exact numbers, flags, nulls, string/number sets, nested lists and maps.
numbers = st.one_of(
    st.integers(min_value=-(10**37), max_value=10**37),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**20), max_value=10**20),
)
scalars = st.one_of(st.text(), numbers, st.booleans(), st.none(), st.binary(max_size=8))
values = st.recursive(
    st.one_of(
        scalars,
        st.frozensets(st.text(), min_size=1, max_size=5),
        st.frozensets(st.integers(-1000, 1000), min_size=1, max_size=5),
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


def _plain(value: Any) -> Any:
    """boto3's deserializer wraps binaries in ``Binary``; compare them as bytes."""
    if isinstance(value, Binary):
        return bytes(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _same_sets(attribute: Any) -> Any:
    """Set members come out in any order; sort them so two serializations compare."""
    if isinstance(attribute, dict):
        return {k: sorted(v, key=repr) if k in ("SS", "NS", "BS") else _same_sets(v) for k, v in attribute.items()}
    if isinstance(attribute, list):
        return [_same_sets(v) for v in attribute]
    return attribute


@given(values)
def test_serialize_matches_boto3(value: Any) -> None:
    assert _same_sets(serialize(value)) == _same_sets(TypeSerializer().serialize(value))


@given(values)
def test_deserialize_matches_boto3_and_round_trips(value: Any) -> None:
    # GIVEN a value as DynamoDB returns it
    attribute = TypeSerializer().serialize(value)
    # WHEN
    got = deserialize(attribute)
    # THEN
    assert got == _plain(TypeDeserializer().deserialize(attribute))
    assert serialize(got) == serialize(value) or _same_sets(serialize(got)) == _same_sets(serialize(value))


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
    with pytest.raises((TypeError, ArithmeticError)):
        TypeSerializer().serialize(value)


def test_an_unknown_or_ambiguous_attribute_is_refused() -> None:
    with pytest.raises(TypeError, match="unknown DynamoDB type"):
        deserialize({"X": "1"})
    with pytest.raises(TypeError, match="exactly one type"):
        deserialize({"S": "a", "N": "1"})
