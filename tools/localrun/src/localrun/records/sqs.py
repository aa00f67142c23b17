"""The SQS event source mapping's records: the Lambda event for a batch, and which items a response failed."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from localrun.model import REGION


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The Lambda event for a batch of SQS messages (as returned by ReceiveMessage with all attributes)."""
    records = []
    for m in messages:
        body = m.get("Body", "")
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": body,
                "attributes": dict(m.get("Attributes", {})),
                "messageAttributes": {
                    name: _lambda_message_attribute(attr) for name, attr in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def _lambda_message_attribute(attr: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"dataType": attr.get("DataType", "String"), "stringListValues": [], "binaryListValues": []}
    if "StringValue" in attr:
        out["stringValue"] = attr["StringValue"]
    if "BinaryValue" in attr:
        value = attr["BinaryValue"]
        out["binaryValue"] = base64.b64encode(value).decode() if isinstance(value, bytes) else value
    return out


def failed_message_ids(response: Any, batch_ids: Sequence[str]) -> set[str]:
    """Which messages of a batch failed, from a ReportBatchItemFailures response.

    AWS's rules: a null/empty ``batchItemFailures`` means all succeeded; an entry whose ``itemIdentifier`` is
    missing, empty or not in the batch means the whole batch failed; so does a response that is not an object.
    """
    if response is None:
        return set()
    if not isinstance(response, dict):
        return set(batch_ids)
    failures = response.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        return set(batch_ids)
    failed: set[str] = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in batch_ids:
            return set(batch_ids)
        failed.add(identifier)
    return failed
