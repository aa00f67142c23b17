"""What a call to the local endpoint is, for the traces: which producer or write it is, and the ids its answer
hands back (so the consumer that later receives them continues the caller's trace). Pure: no I/O."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from localrun.model import query_action

# Calls that start a trace when they come without one (a user's CLI, a test, a producer outside Lambda).
PRODUCER_ACTIONS = frozenset({"PutEvents", "SendMessage", "SendMessageBatch", "Publish", "PublishBatch", "PutObject"})
TABLE_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
_MESSAGE_ID = re.compile(rb"<MessageId>([^<]+)</MessageId>")


@dataclass(frozen=True)
class Call:
    """A call the traces follow. Its service and action are read from the request's head (or a form's ``Action``);
    its body and what it addresses only when asked, which the endpoint does once the answer is written."""

    service: str  # events, sqs, sns, s3, dynamodb
    action: str
    sent: bytes = b""  # the request's body
    form: bool = False  # ``sent`` is a URL-encoded form (the query protocol), else JSON
    where: str = ""  # what it addresses when the request's path says it: the object (S3), the queue (SQS forms)

    @property
    def producer(self) -> bool:
        return self.action in PRODUCER_ACTIONS

    @property
    def table_write(self) -> bool:
        return self.service == "dynamodb" and self.action in TABLE_WRITES

    @cached_property
    def body(self) -> dict[str, Any]:
        """The JSON body ({} for a form, or a body that is no JSON object)."""
        return {} if self.form else _json(self.sent)

    @cached_property
    def target(self) -> str:
        """What it addresses: bus(es), queue URL, topic ARN, s3://bucket/key, table name(s)."""
        if self.form:
            fields: dict[str, str] = {}
            for name, value in parse_qsl(self.sent.decode(errors="replace")):
                fields.setdefault(name, value)  # the first of a repeated field
            return fields.get("TopicArn" if self.service == "sns" else "QueueUrl", self.where)
        if self.service == "events":
            return ",".join(sorted({str(e.get("EventBusName") or "default") for e in self.body.get("Entries", [])}))
        if self.service == "sqs":
            return str(self.body.get("QueueUrl", ""))
        if self.service == "dynamodb":
            return ",".join(_tables(self.action, self.body))
        return self.where


def classify(method: str, path: str, headers: list[tuple[str, str]], body: bytes, *, in_trace: bool) -> Call | None:
    """The call, when it is one the traces follow: producers, and table writes made inside a trace (a write starts
    none, so outside one it is not one); else None. No body is parsed here but a form's ``Action``."""
    lower = {k.lower(): v for k, v in headers}
    target = lower.get("x-amz-target", "")
    if target:
        prefix, _, action = target.partition(".")
        if prefix == "AWSEvents" and action == "PutEvents":
            return Call("events", action, body)
        if prefix == "AmazonSQS" and action in PRODUCER_ACTIONS:
            return Call("sqs", action, body)
        if prefix.startswith("DynamoDB") and action in TABLE_WRITES and in_trace:
            return Call("dynamodb", action, body)
        return None  # a read
    if method == "POST" and lower.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        action = query_action(body)
        if action in ("Publish", "PublishBatch"):
            return Call("sns", action, body, form=True)
        if action in ("SendMessage", "SendMessageBatch"):
            return Call("sqs", action, body, form=True, where=path)
        return None
    parts = urlsplit(path)
    segments = parts.path.lstrip("/").split("/", 1)
    if method == "PUT" and len(segments) == 2 and segments[1] and not parts.query:
        return Call("s3", "PutObject", where=f"s3://{segments[0]}/{unquote(segments[1])}")
    return None


def answer_ids(call: Call, status: int, answer: bytes) -> list[str]:
    """The ids AWS handed back for what the call produced."""
    if status >= 300:
        return []
    if call.service == "s3":
        return [call.target]
    if call.service == "sns" or (call.service == "sqs" and answer.lstrip().startswith(b"<")):
        return [m.decode() for m in _MESSAGE_ID.findall(answer)]
    doc = _json(answer)
    if call.service == "events":
        return [str(e["EventId"]) for e in doc.get("Entries", []) if e.get("EventId")]
    if call.action == "SendMessage":
        return [str(doc["MessageId"])] if doc.get("MessageId") else []
    if call.action == "SendMessageBatch":
        return [str(e["MessageId"]) for e in doc.get("Successful", []) if e.get("MessageId")]
    return []


def describe(call: Call) -> str:
    names = {"events": "bus", "sqs": "queue", "sns": "topic", "s3": "object", "dynamodb": "table"}
    where = call.target.rsplit("/", 1)[-1] if call.service == "sqs" else call.target
    return f"{call.service} {call.action} -> {names.get(call.service, '')} {where}"


def _tables(action: str, doc: dict[str, Any]) -> list[str]:
    if action == "BatchWriteItem":
        return sorted(doc.get("RequestItems", {}))
    if action == "TransactWriteItems":
        found = {
            str(op["TableName"]) for item in doc.get("TransactItems", []) for op in item.values() if "TableName" in op
        }
        return sorted(found)
    return [str(doc.get("TableName", ""))]


def _json(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}
