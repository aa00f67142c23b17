"""Pure record and event builders."""

from __future__ import annotations

import base64
import json

import pytest
from localrun.records.apigateway import HttpRequest, proxy_event, proxy_response
from localrun.records.destination import (
    Condition,
    Outcome,
    destination_detail_type,
    destination_record,
    dlq_message_attributes,
)
from localrun.records.shadow import shadow_to_lambda_event
from localrun.records.sqs import failed_message_ids, sqs_event
from localrun.routes import match_route

ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"


def test_destination_record_on_failure_has_awss_shape() -> None:
    # GIVEN an async invocation that failed 3 times
    outcome = Outcome(
        Condition.RETRIES_EXHAUSTED,
        "req-1",
        ARN,
        3,
        b'{"pass": false}',
        b'{"errorMessage": "boom", "errorType": "ValueError"}',
        "Unhandled",
        1_700_000_000.5,
    )
    # WHEN the record is built
    record = destination_record(outcome)
    # THEN it is Lambda's version 1.0 record
    assert record == {
        "version": "1.0",
        "timestamp": "2023-11-14T22:13:20.500Z",
        "requestContext": {
            "requestId": "req-1",
            "functionArn": f"{ARN}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"pass": False},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "boom", "errorType": "ValueError"},
    }
    assert destination_detail_type(Condition.RETRIES_EXHAUSTED) == "Lambda Function Invocation Result - Failure"
    assert destination_detail_type(Condition.SUCCESS) == "Lambda Function Invocation Result - Success"


def test_destination_record_without_an_invocation_has_no_response() -> None:
    record = destination_record(Outcome(Condition.EVENT_AGE_EXCEEDED, "r", ARN, 0, b"not json"))
    assert "responseContext" not in record and "responsePayload" not in record
    assert record["requestPayload"] == "not json"


def test_dlq_attributes() -> None:
    attributes = dlq_message_attributes("req", "x" * 2000)
    assert attributes["RequestID"] == {"DataType": "String", "StringValue": "req"}
    assert attributes["ErrorCode"]["DataType"] == "Number"
    assert len(attributes["ErrorMessage"]["StringValue"]) == 1024


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (None, set()),  # null response: all succeeded
        ({}, set()),
        ({"batchItemFailures": []}, set()),  # empty list: all succeeded
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b", "c"}),  # empty id: whole batch failed
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b", "c"}),  # unknown id: whole batch failed
        ({"batchItemFailures": [{"id": "b"}]}, {"a", "b", "c"}),  # wrong key: whole batch failed
        ("a string", {"a", "b", "c"}),
    ],
)
def test_batch_item_failure_rules(response: object, expected: set[str]) -> None:
    assert failed_message_ids(response, ["a", "b", "c"]) == expected


def test_sqs_event_record_shape() -> None:
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "rh",
        "Body": "hello",
        "MD5OfBody": "md5",
        "Attributes": {"ApproximateReceiveCount": "1"},
        "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
    }
    [record] = sqs_event([message], "arn:aws:sqs:us-east-1:000000000000:q")["Records"]
    assert record["messageId"] == "m1" and record["receiptHandle"] == "rh" and record["body"] == "hello"
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(":q")
    assert record["messageAttributes"]["k"]["stringValue"] == "v"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"


def test_shadow_messages_become_the_integration_events() -> None:
    # SNS envelope -> SNS Lambda event
    sns = json.dumps({"Type": "Notification", "MessageId": "mid", "TopicArn": "arn:t", "Message": "m"})
    event = json.loads(shadow_to_lambda_event(sns, {"arn:t": "arn:t:sub"}.get).payload)
    assert event["Records"][0]["EventSubscriptionArn"] == "arn:t:sub"
    with_url = json.dumps(
        {
            "Type": "Notification",
            "TopicArn": "arn:t",
            "Message": "m",
            "UnsubscribeURL": "https://sns/?Action=Unsubscribe&SubscriptionArn=arn:t:real",
        }
    )
    assert json.loads(shadow_to_lambda_event(with_url).payload)["Records"][0]["EventSubscriptionArn"] == "arn:t:real"
    assert event["Records"][0]["Sns"]["Message"] == "m"
    # S3 test event is skipped; keys are form-encoded like AWS's
    assert shadow_to_lambda_event(json.dumps({"Event": "s3:TestEvent"})).skip
    s3 = json.dumps({"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": "a%2Fb+c.csv"}}}]})
    assert json.loads(shadow_to_lambda_event(s3).payload)["Records"][0]["s3"]["object"]["key"] == "a/b+c.csv"
    # EventBridge events get the full envelope
    eb = json.loads(shadow_to_lambda_event(json.dumps({"id": "1", "detail-type": "d", "source": "s"})).payload)
    assert eb["account"] == "000000000000" and eb["version"] == "0"


def test_proxy_event_shape() -> None:
    request = HttpRequest(
        "POST",
        "/product/1",
        "a=1&a=2&b=",
        [("Content-Type", "application/json"), ("X-Multi", "1"), ("X-Multi", "2")],
        b'{"x":1}',
    )
    event = proxy_event(
        request,
        resource="/product/{id}",
        path_parameters={"id": "1"},
        stage="prod",
        api_id="api",
        request_id="rid",
        now=0,
    )
    assert event["resource"] == "/product/{id}" and event["path"] == "/product/1" and event["httpMethod"] == "POST"
    assert event["headers"]["X-Multi"] == "2" and event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert event["pathParameters"] == {"id": "1"}
    assert event["requestContext"]["stage"] == "prod" and event["requestContext"]["requestId"] == "rid"
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert (event["body"], event["isBase64Encoded"]) == ('{"x":1}', False)


def test_proxy_event_binary_body_is_base64_only_for_binary_media_types() -> None:
    request = HttpRequest("PUT", "/f", "", [("Content-Type", "image/png")], b"\xff\x00")
    event = proxy_event(
        request,
        resource="/f",
        path_parameters={},
        stage="prod",
        api_id="a",
        request_id="r",
        now=0,
        binary_media_types=["image/*"],
    )
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\x00"
    assert event["queryStringParameters"] is None and event["pathParameters"] is None
    text = proxy_event(request, resource="/f", path_parameters={}, stage="prod", api_id="a", request_id="r", now=0)
    assert text["isBase64Encoded"] is False


def test_proxy_response_mapping_and_502s() -> None:
    ok = proxy_response(
        json.dumps(
            {"statusCode": 201, "headers": {"A": "1"}, "multiValueHeaders": {"B": ["x", "y"]}, "body": "hi"}
        ).encode()
    )
    assert (ok.status, ok.body) == (201, b"hi")
    assert ("B", "x") in ok.headers and ("B", "y") in ok.headers and ("A", "1") in ok.headers
    binary = proxy_response(
        json.dumps({"statusCode": 200, "body": base64.b64encode(b"\x01").decode(), "isBase64Encoded": True}).encode()
    )
    assert binary.body == b"\x01"
    for bad in (b"not json", b'"text"', b'{"statusCode": 200, "extra": 1}', b'{"statusCode": 200, "body": {"a": 1}}'):
        assert proxy_response(bad).status == 502


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("/product", "/product", {}),
        ("/product/{id}", "/product/42", {"id": "42"}),
        ("/product/{id}", "/product", None),
        ("/files/{proxy+}", "/files/a/b", {"proxy": "a/b"}),
        ("/files/{proxy+}", "/files", None),
        ("/", "/", {}),
    ],
)
def test_match_route(template: str, path: str, expected: dict[str, str] | None) -> None:
    assert match_route(template, path) == expected
