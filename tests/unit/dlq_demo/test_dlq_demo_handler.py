"""The demo's contract behind its three invocation paths, driven by the sample events shipped with the service."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.typing import LambdaContext
from dlq_demo.domain.process import FAIL_MESSAGE, process
from dlq_demo.handlers.process import handler
from dlq_demo.models.envelopes import InvocationPath, path_of
from dlq_demo.models.payload import DemoPayload
from pydantic import ValidationError

EVENTS = Path(__file__).parents[3] / "services" / "dlq_demo" / "events"


@dataclass(frozen=True)
class LambdaContextStub:
    function_name: str = "dlq-demo"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:dlq-demo"
    aws_request_id: str = "req-1"


def event(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


def invoke(evt: Any) -> dict[str, Any]:
    return handler(evt, cast(LambdaContext, LambdaContextStub()))


def test_pass_true_succeeds_and_pass_false_raises_the_seed_error() -> None:
    process(DemoPayload.model_validate({"pass": True}))
    with pytest.raises(ValueError, match=r"^Fail the Lambda function\.$") as excinfo:
        process(DemoPayload.model_validate({"pass": False}))
    # exactly ValueError: the seed's failure records show errorType "ValueError"
    assert type(excinfo.value) is ValueError


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("direct_pass.json", {"path": "direct", "processed": 1}),
        ("sns_pass.json", {"path": "sns", "processed": 1}),
        ("sqs_pass.json", {"batchItemFailures": []}),
    ],
)
def test_pass_true_succeeds_on_every_path(name: str, expected: dict[str, Any]) -> None:
    assert invoke(event(name)) == expected


@pytest.mark.parametrize("name", ["direct_fail.json", "sns_fail.json"])
def test_pass_false_raises_value_error_on_the_async_paths(name: str) -> None:
    # GIVEN {"pass": false} by direct invoke or SNS WHEN handled THEN the invocation fails with the seed's error,
    # which Lambda's retries and then the DLQ / on-failure destination record
    with pytest.raises(ValueError, match=r"^Fail the Lambda function\.$") as excinfo:
        invoke(event(name))
    assert type(excinfo.value) is ValueError


def test_pass_false_in_a_batch_of_one_fails_the_sqs_invocation() -> None:
    # GIVEN the seed's SQS setup (batch size 1) WHEN the only record fails
    with pytest.raises(BatchProcessingError) as excinfo:
        invoke(event("sqs_fail.json"))
    # THEN the invocation errors (the message returns to the queue, then the DLQ) and the cause is in the error
    assert FAIL_MESSAGE in str(excinfo.value)


def test_a_mixed_sqs_batch_reports_only_the_failing_messages() -> None:
    # GIVEN a batch: pass true, pass false, no pass field
    evt = event("sqs_mixed_batch.json")
    ids = [r["messageId"] for r in evt["Records"]]
    # WHEN handled THEN the last two are reported failed and the first is not
    assert invoke(evt) == {"batchItemFailures": [{"itemIdentifier": ids[1]}, {"itemIdentifier": ids[2]}]}


@pytest.mark.parametrize("name", ["direct_missing_field.json", "sns_missing_field.json"])
def test_a_payload_without_pass_is_a_validation_error_naming_the_field(name: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        invoke(event(name))
    [error] = excinfo.value.errors()
    assert (error["type"], error["loc"]) == ("missing", ("pass",))


def test_a_non_json_sqs_body_fails_that_record() -> None:
    with pytest.raises(BatchProcessingError) as excinfo:
        invoke(event("sqs_not_json.json"))
    assert "json_invalid" in str(excinfo.value) or "Invalid JSON" in str(excinfo.value)


@pytest.mark.parametrize(
    ("evt", "error_type"),
    [
        ("not json", "json_invalid"),
        ('{"pass": "false"}', "bool_type"),
        ({"pass": "yes"}, "bool_type"),
        ({"pass": 0}, "bool_type"),
        ({"pass": None}, "bool_type"),
        ([{"pass": True}], "model_type"),
        (None, "model_type"),
        ({}, "missing"),
    ],
)
def test_direct_payloads_that_are_not_a_pass_flag_fail_validation(evt: Any, error_type: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        invoke(evt)
    assert excinfo.value.errors()[0]["type"] == error_type


def test_a_json_string_payload_is_accepted() -> None:
    assert invoke('{"pass": true}') == {"path": "direct", "processed": 1}


def test_an_sns_record_without_a_message_is_a_validation_error() -> None:
    evt = event("sns_pass.json")
    del evt["Records"][0]["Sns"]["Message"]
    with pytest.raises(ValidationError, match="Message"):
        invoke(evt)


def test_sns_message_that_is_not_json_is_a_validation_error() -> None:
    evt = event("sns_pass.json")
    evt["Records"][0]["Sns"]["Message"] = "pass=true"
    with pytest.raises(ValidationError, match="json_invalid|Invalid JSON"):
        invoke(evt)


@pytest.mark.parametrize(
    ("evt", "path"),
    [
        ({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}, InvocationPath.SQS),
        ({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "{}"}}]}, InvocationPath.SNS),
        ({"pass": True}, InvocationPath.DIRECT),
        ({"Records": []}, InvocationPath.DIRECT),
        ({"Records": [{"eventSource": "aws:s3"}]}, InvocationPath.DIRECT),
        ("text", InvocationPath.DIRECT),
    ],
)
def test_the_invocation_path_is_recognised_from_the_event_shape(evt: Any, path: InvocationPath) -> None:
    assert path_of(evt) is path


def test_every_shipped_sample_event_behaves_as_its_name_says() -> None:
    for sample in sorted(EVENTS.glob("*.json")):
        evt = event(sample.name)
        if sample.stem.endswith("_pass") or sample.stem.endswith("mixed_batch"):
            invoke(evt)
        else:
            with pytest.raises((ValueError, BatchProcessingError)):
                invoke(evt)
