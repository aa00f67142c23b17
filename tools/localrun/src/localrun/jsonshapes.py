"""A JSON-protocol request's parameters as moto's ``JSONParser`` reads them, by converters built once per shape.

moto reads every JSON-protocol request (DynamoDB, SQS, EventBridge, ...) by walking botocore's input shape: for
each value it looks up a handler by the shape's type name, and for each structure it goes through every member
the shape has, present or not (ten per DynamoDB attribute value). :func:`parse` does what those handlers do, with
what each shape needs worked out once: members with their JSON names, whether a value needs converting at all
(strings and booleans are kept as they are, so a list of them is copied), blobs and timestamps through the parser's
own parsers, numbers through ``int``/``float``. A shape of a type moto's parser has no handler of its own for is
handed to it. tests/unit/localrun/test_jsonshapes.py compares both on requests of every service the runner uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# (parser, JSON value) -> moto's parameter; None: the value as it is
Converter = Callable[[Any, Any], Any] | None

_MAX_SHAPES = 20_000  # shapes remembered; moto's service models are finite, this is a backstop
_converters: dict[int, tuple[object, Converter]] = {}  # id(shape) -> (the shape, its converter)

_KEPT = frozenset({"string", "boolean", "character"})  # moto's _default_handle: the value as it is
_INTEGERS = frozenset({"integer", "long", "byte", "short"})
_FLOATS = frozenset({"float", "double"})


def parse(parser: Any, shape: Any, value: Any) -> Any:
    """``parser._parse_shape(shape, value)`` for moto's ``JSONParser``."""
    convert = converter(shape)
    return value if convert is None else convert(parser, value)


def converter(shape: Any) -> Converter:
    known = _converters.get(id(shape))
    if known is not None and known[0] is shape:
        return known[1]
    convert = _build(shape)
    if len(_converters) >= _MAX_SHAPES:
        _converters.clear()
    _converters[id(shape)] = (shape, convert)
    return convert


def _build(shape: Any) -> Converter:
    kind = shape.type_name
    if kind in _KEPT:
        return None
    if kind in _INTEGERS:
        return _integer
    if kind in _FLOATS:
        return _float
    if kind == "blob":
        return _blob
    if kind == "timestamp":
        return _timestamp
    if kind == "list":
        return _list(shape)
    if kind == "map":
        return _map(shape)
    if kind == "structure":
        return None if shape.is_document_type else _structure(shape)
    return lambda parser, value: parser._parse_shape(shape, value)  # a type moto's parser knows better


def _integer(_parser: Any, value: Any) -> Any:
    return int(value)


def _float(_parser: Any, value: Any) -> Any:
    return float(value)


def _blob(parser: Any, value: Any) -> Any:
    return parser._blob_parser(value)


def _timestamp(parser: Any, value: Any) -> Any:
    return parser._timestamp_parser(value)


def _list(shape: Any) -> Converter:
    member = shape.member

    def convert(parser: Any, value: Any) -> list[Any]:
        each = converter(member)
        if each is None:
            return [item for item in value]  # noqa: C416 - iterated as moto iterates it, whatever it is
        return [each(parser, item) for item in value]

    return convert


def _map(shape: Any) -> Converter:
    key_shape, value_shape = shape.key, shape.value

    def convert(parser: Any, value: Any) -> Any:
        out = parser.MAP_TYPE()
        of_key, of_value = converter(key_shape), converter(value_shape)
        for key, item in value.items():
            out[key if of_key is None else of_key(parser, key)] = item if of_value is None else of_value(parser, item)
        return out

    return convert


def _structure(shape: Any) -> Converter:
    members = [(name, member.serialization.get("name", name), member) for name, member in shape.members.items()]

    def convert(parser: Any, value: Any) -> Any:
        if value is None:  # "null" on the wire stays None, as in moto
            return None
        out = parser.MAP_TYPE()
        get = value.get
        for name, json_name, member in members:
            raw = get(json_name)
            if raw is not None:
                of_member = converter(member)
                out[name] = raw if of_member is None else of_member(parser, raw)
        return out

    return convert
