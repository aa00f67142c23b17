"""localrun.jsonshapes: a JSON-protocol request's parameters, as moto's JSONParser reads them."""

from __future__ import annotations

import base64
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from localrun import jsonshapes
from moto.core.parse import JSONParser
from moto.core.utils import get_service_model

# the JSON-protocol services the runner's systems and users call through the endpoint
SERVICES = ("dynamodb", "sqs", "events", "cognito-idp", "logs", "secretsmanager", "ssm", "kms", "stepfunctions")


def example(shape: Any, depth: int = 0) -> Any:
    """A JSON value for ``shape`` as a client would send it: every member, nested lists and maps, each type's
    wire form (blobs base64, timestamps as epoch seconds), a null and a key no member has."""
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return {"any": ["document", 1]}
        if depth > 4:
            return None
        value = {m.serialization.get("name", n): example(m, depth + 1) for n, m in shape.members.items()}
        return value | {"NotAMember": "ignored"}
    if kind == "list":
        return [example(shape.member, depth + 1), example(shape.member, depth + 1)]
    if kind == "map":
        return {"k1": example(shape.value, depth + 1), "k2": example(shape.value, depth + 1)}
    return {
        "string": "text",
        "boolean": True,
        "integer": 7,
        "long": "8",
        "float": 1.5,
        "double": "2.5",
        "blob": base64.b64encode(b"bytes").decode(),
        "timestamp": 1_767_225_600,
    }.get(kind, "other")


def operations() -> Iterator[tuple[str, str]]:
    for service in SERVICES:
        model = get_service_model(service)
        for name in model.operation_names:
            if model.operation_model(name).input_shape is not None:
                yield service, name


def parsed_both_ways(parser: JSONParser, shape: Any, value: Any) -> tuple[Any, Any]:
    def outcome(parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except Exception as exc:  # noqa: BLE001 - the same failure either way is the same behaviour
            return type(exc)

    return outcome(lambda: parser._parse_shape(shape, value)), outcome(lambda: jsonshapes.parse(parser, shape, value))


@pytest.mark.parametrize(("service", "operation"), list(operations()))
def test_every_operation_s_request_is_read_as_moto_reads_it(service: str, operation: str) -> None:
    model = get_service_model(service).operation_model(operation)
    shape = model.input_shape
    for map_type in (dict, OrderedDict):  # moto's response classes choose the parser's map type
        parser = JSONParser(model, map_type=map_type)
        moto, fast = parsed_both_ways(parser, shape, example(shape))
        assert fast == moto
        assert repr(fast) == repr(moto)  # the same types and order, not only equal


@pytest.mark.parametrize(
    "request_value",
    [
        {
            "TableName": "t",
            "Item": {"pk": {"S": "a"}, "n": {"N": "1"}, "b": {"B": "eA=="}, "m": {"M": {"x": {"NULL": True}}}},
        },
        {"TableName": "t", "Item": {"l": {"L": [{"BS": ["eA==", "eQ=="]}, {"SS": ["a", "b"]}]}}},
        {"TableName": None, "Item": None},  # nulls are absent members
        {"TableName": "t", "Item": {"pk": None}},  # a null map value is converted as moto converts it
        {"TableName": "t", "Item": []},  # a list where a map goes: moto's failure
        {"TableName": "t", "Item": {"pk": {"B": "not base64!"}}},  # moto's blob failure
        {"TableName": "t", "Item": {"pk": {"S": "a", "N": "1"}}},  # two members: moto's order
        {"TableName": "t", "Item": {"pk": "not an attribute value"}},
        [],  # not an object at all
    ],
)
def test_odd_requests_are_read_or_refused_as_moto_does(request_value: Any) -> None:
    model = get_service_model("dynamodb").operation_model("PutItem")
    moto, fast = parsed_both_ways(JSONParser(model), model.input_shape, request_value)
    assert fast == moto
    assert repr(fast) == repr(moto)


def test_timestamps_blobs_and_numbers_are_converted() -> None:
    model = get_service_model("sqs").operation_model("ChangeMessageVisibility")
    parsed = jsonshapes.parse(JSONParser(model), model.input_shape, {"QueueUrl": "u", "VisibilityTimeout": "30"})
    assert parsed == {"QueueUrl": "u", "VisibilityTimeout": 30}
