"""Plain Python values <-> DynamoDB attribute values, for adapters that use the low-level DynamoDB client.

The same mapping as boto3's ``TypeSerializer``/``TypeDeserializer`` (tests/unit/lambda_common checks them against
each other), without importing boto3: the functions use botocore clients (see ``lambda_common.aws``), and boto3's
resource layer (~60 ms) plus boto3 itself (~50 ms) were ~100 ms of CPU of every DynamoDB function's cold start on
the benchmark machine.

Python -> DynamoDB: ``str`` S, ``bool`` BOOL, ``None`` NULL, ``int``/``Decimal`` N, ``bytes`` B, ``set``/``frozenset``
of str/numbers/bytes SS/NS/BS, ``list``/``tuple`` L, ``Mapping`` M. Floats are refused (use ``Decimal``), and so is
a number DynamoDB cannot store exactly (more than 38 significant digits, out of range, NaN, Infinity).
DynamoDB -> Python: numbers become ``Decimal``, binaries ``bytes``, sets ``set``.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

# DynamoDB numbers: up to 38 significant digits, exponents -130..125. Anything that would be rounded is an error.
_NUMBER_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])

AttributeValue = dict[str, Any]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _number(value: int | Decimal) -> str:
    text = str(_NUMBER_CONTEXT.create_decimal(value))
    if text in ("Infinity", "-Infinity", "NaN", "sNaN"):
        raise TypeError(f"DynamoDB cannot store the number {text}")
    return text


def serialize(value: Any) -> AttributeValue:
    """The attribute value for ``value`` (e.g. ``"a"`` -> ``{"S": "a"}``); TypeError if DynamoDB has no type for it."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if _is_number(value):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): serialize(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [serialize(v) for v in value]}
    if isinstance(value, Set):
        if all(_is_number(v) for v in value):
            return {"NS": [_number(v) for v in value]}
        if all(isinstance(v, str) for v in value):
            return {"SS": list(value)}
        if all(isinstance(v, bytes | bytearray) for v in value):
            return {"BS": [bytes(v) for v in value]}
    if isinstance(value, float):
        raise TypeError("DynamoDB numbers must be int or Decimal, not float (floats are not exact)")
    raise TypeError(f"unsupported type for DynamoDB: {type(value).__name__}: {value!r}")


def deserialize(attribute: Mapping[str, Any]) -> Any:
    """The Python value of one attribute value (e.g. ``{"N": "1.5"}`` -> ``Decimal("1.5")``)."""
    if len(attribute) != 1:
        raise TypeError(f"an attribute value has exactly one type, got {sorted(attribute)}")
    ((kind, raw),) = attribute.items()
    if kind in ("S", "B", "BOOL"):
        return raw
    if kind == "N":
        return _NUMBER_CONTEXT.create_decimal(raw)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: deserialize(v) for k, v in raw.items()}
    if kind == "L":
        return [deserialize(v) for v in raw]
    if kind == "SS" or kind == "BS":
        return set(raw)
    if kind == "NS":
        return {_NUMBER_CONTEXT.create_decimal(v) for v in raw}
    raise TypeError(f"unknown DynamoDB type {kind!r}")


def to_item(values: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """An item (or a key, or ExpressionAttributeValues) in DynamoDB's attribute-value form."""
    return {name: serialize(value) for name, value in values.items()}


def from_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A DynamoDB item (or key) as plain Python values."""
    return {name: deserialize(value) for name, value in item.items()}
