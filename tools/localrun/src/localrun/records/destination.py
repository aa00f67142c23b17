"""What Lambda sends when an async invocation ends: on-success / on-failure destination records, DLQ messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from localrun.records.payload import parse_payload


def iso_ms(ts: float) -> str:
    """``2019-11-14T18:16:05.568Z``: the timestamp format of destination records."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


class Condition(StrEnum):
    """How an async invocation ended (``requestContext.condition``)."""

    SUCCESS = "Success"
    RETRIES_EXHAUSTED = "RetriesExhausted"
    EVENT_AGE_EXCEEDED = "EventAgeExceeded"


@dataclass(frozen=True)
class Outcome:
    """How an async invocation ended, as the destination record describes it."""

    condition: Condition
    request_id: str
    function_arn: str
    invoke_count: int
    request_payload: bytes
    response_payload: bytes | None = None  # None when the function never ran
    function_error: str | None = None  # "Unhandled" when the last attempt failed
    timestamp: float = 0.0


def destination_record(outcome: Outcome) -> dict[str, Any]:
    """The record Lambda sends to an on-success / on-failure destination (version 1.0)."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": iso_ms(outcome.timestamp),
        "requestContext": {
            "requestId": outcome.request_id,
            "functionArn": f"{outcome.function_arn}:$LATEST",
            "condition": outcome.condition,
            "approximateInvokeCount": outcome.invoke_count,
        },
        "requestPayload": parse_payload(outcome.request_payload),
    }
    if outcome.response_payload is not None:
        context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if outcome.function_error:
            context["functionError"] = outcome.function_error
        record["responseContext"] = context
        record["responsePayload"] = parse_payload(outcome.response_payload)
    return record


def destination_detail_type(condition: Condition) -> str:
    """The EventBridge detail-type of a destination record."""
    return "Lambda Function Invocation Result - " + ("Success" if condition == Condition.SUCCESS else "Failure")


def dlq_message_attributes(request_id: str, error_message: str) -> dict[str, dict[str, str]]:
    """The attributes Lambda puts on a message it sends to a function's dead-letter queue."""
    return {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": (error_message or "Unhandled")[:1024]},
    }
