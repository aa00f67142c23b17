"""Plain Python values <-> DynamoDB attribute values, for adapters that use the low-level DynamoDB client.

boto3's own ``TypeSerializer``/``TypeDeserializer``: the functions use DynamoDB *clients* rather than the resource
layer (a resource and its Table cost ~60-100 ms more of a cold start on the benchmark machine, bench/README.md),
and convert items here. Numbers are ``Decimal`` (floats are refused: they are not exact), sets are ``set``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

AttributeValue = dict[str, Any]


@cache
def _serializer() -> TypeSerializer:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


@cache
def _deserializer() -> TypeDeserializer:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def serialize(value: Any) -> AttributeValue:
    """The attribute value for ``value`` (e.g. ``"a"`` -> ``{"S": "a"}``); TypeError if DynamoDB has no type for it."""
    return dict(_serializer().serialize(value))


def deserialize(attribute: Mapping[str, Any]) -> Any:
    """The Python value of one attribute value (e.g. ``{"N": "1.5"}`` -> ``Decimal("1.5")``)."""
    typed: Any = dict(attribute)  # the stubs' TypedDict; any one-type mapping is what DynamoDB returns
    return _deserializer().deserialize(typed)


def to_item(values: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """An item (or a key, or ExpressionAttributeValues) in DynamoDB's attribute-value form."""
    return {name: serialize(value) for name, value in values.items()}


def from_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A DynamoDB item (or key) as plain Python values."""
    return {name: deserialize(value) for name, value in item.items()}
