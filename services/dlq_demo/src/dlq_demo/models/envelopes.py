"""The SNS event Lambda receives (only what the demo reads), and how to tell the three invocation paths apart."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SnsMessage(BaseModel):
    # defer_build (all three): validators built on the first SNS invocation, not on every cold start.
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    message: str = Field(alias="Message")


class SnsRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    event_source: str = Field(alias="EventSource", pattern=r"^aws:sns$")
    sns: SnsMessage = Field(alias="Sns")


class SnsEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    records: list[SnsRecord] = Field(alias="Records", min_length=1)


class InvocationPath(StrEnum):
    SQS = "sqs"  # SQS event source mapping: {"Records": [{"eventSource": "aws:sqs", "body": ...}]}
    SNS = "sns"  # SNS subscription (async invoke): {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": ...}}]}
    DIRECT = "direct"  # Invoke (sync or async): the event is the payload itself


def path_of(event: Any) -> InvocationPath:
    """Classify by the first record; anything else is a direct payload (and fails validation if it is not one)."""
    records = event.get("Records") if isinstance(event, dict) else None
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        if first.get("eventSource") == "aws:sqs":
            return InvocationPath.SQS
        if first.get("EventSource") == "aws:sns" or "Sns" in first:
            return InvocationPath.SNS
    return InvocationPath.DIRECT
