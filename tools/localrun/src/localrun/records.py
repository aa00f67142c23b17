"""The event and record shapes AWS builds around a Lambda invocation. Pure functions, no I/O."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote_plus, unquote_plus, urlsplit

from localrun.model import ACCOUNT_ID, REGION


def iso_ms(ts: float) -> str:
    """``2019-11-14T18:16:05.568Z``: the timestamp format of destination records."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def parse_payload(raw: bytes) -> Any:
    """A payload as JSON when it is JSON, else as text (what AWS puts in a record)."""
    try:
        return json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        return raw.decode(errors="replace")


# -- Lambda async: destinations and DLQ ---------------------------------------------------------------------------
SUCCESS = "Success"
RETRIES_EXHAUSTED = "RetriesExhausted"
EVENT_AGE_EXCEEDED = "EventAgeExceeded"


@dataclass(frozen=True)
class Outcome:
    """How an async invocation ended, as the destination record describes it."""

    condition: str
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


def destination_detail_type(condition: str) -> str:
    """The EventBridge detail-type of a destination record."""
    return "Lambda Function Invocation Result - " + ("Success" if condition == SUCCESS else "Failure")


def dlq_message_attributes(request_id: str, error_message: str) -> dict[str, dict[str, str]]:
    """The attributes Lambda puts on a message it sends to a function's dead-letter queue."""
    return {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": (error_message or "Unhandled")[:1024]},
    }


# -- SQS event source mapping --------------------------------------------------------------------------------------
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


# -- Messages the runner receives on its shadow queues ----------------------------------------------------------
@dataclass(frozen=True)
class ShadowEvent:
    source: str  # "events" | "sns" | "s3" | "unknown"
    payload: bytes  # the Lambda event
    skip: bool = False  # s3:TestEvent


def shadow_to_lambda_event(body: str, subscription_arns: Mapping[str, str] | None = None) -> ShadowEvent:
    """Turn what moto delivered to a shadow queue into the event the real integration would pass to Lambda."""
    try:
        data = json.loads(body)
    except ValueError:
        return ShadowEvent("unknown", body.encode())
    if isinstance(data, dict) and data.get("Type") == "Notification" and "TopicArn" in data:
        topic = data["TopicArn"]
        # The subscription's ARN is in its unsubscribe URL; fall back to what the runner recorded, then to a stable id.
        unsubscribe = str(data.get("UnsubscribeURL") or data.get("UnsubscribeUrl") or "")
        from_url = dict(parse_qsl(urlsplit(unsubscribe).query)).get("SubscriptionArn")
        sub_arn = from_url or (subscription_arns or {}).get(topic) or f"{topic}:{uuid.uuid5(uuid.NAMESPACE_URL, topic)}"
        sns = {
            "Type": "Notification",
            "MessageId": data.get("MessageId"),
            "TopicArn": topic,
            "Subject": data.get("Subject"),
            "Message": data.get("Message"),
            "Timestamp": data.get("Timestamp"),
            "SignatureVersion": data.get("SignatureVersion", "1"),
            "Signature": data.get("Signature", "EXAMPLE"),
            "SigningCertUrl": data.get("SigningCertURL", ""),
            "UnsubscribeUrl": data.get("UnsubscribeURL", ""),
            "MessageAttributes": data.get("MessageAttributes", {}),
        }
        event = {
            "Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": sub_arn, "Sns": sns}]
        }
        return ShadowEvent("sns", json.dumps(event).encode())
    if isinstance(data, dict) and data.get("Event") == "s3:TestEvent":
        return ShadowEvent("s3", b"", skip=True)
    if (
        isinstance(data, dict)
        and isinstance(data.get("Records"), list)
        and data["Records"]
        and data["Records"][0].get("eventSource") == "aws:s3"
    ):
        for record in data["Records"]:
            obj = record.get("s3", {}).get("object", {})
            if "key" in obj:  # AWS form-encodes the key but keeps '/'; moto percent-encodes '/' too
                obj["key"] = quote_plus(unquote_plus(obj["key"]), safe="/")
        return ShadowEvent("s3", json.dumps(data).encode())
    if isinstance(data, dict) and "detail-type" in data:
        # moto's envelope lacks some fields; give the function AWS's full envelope, in AWS's order.
        envelope = {
            "version": "0",
            "id": data.get("id"),
            "detail-type": data.get("detail-type"),
            "source": data.get("source"),
            "account": data.get("account", ACCOUNT_ID),
            "time": data.get("time"),
            "region": data.get("region", REGION),
            "resources": data.get("resources", []),
            "detail": data.get("detail", {}),
        }
        extra = {k: v for k, v in data.items() if k not in envelope}
        return ShadowEvent("events", json.dumps({**envelope, **extra}).encode())
    return ShadowEvent("unknown", body.encode())


# -- API Gateway REST (v1) proxy -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # without the query string
    query: str  # raw query string, may be empty
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"


def is_binary(content_type: str, binary_media_types: Sequence[str]) -> bool:
    """API Gateway REST base64-encodes a body only when its type matches the API's binaryMediaTypes."""
    mime = content_type.split(";")[0].strip().lower()
    for pattern in binary_media_types:
        p = pattern.lower()
        if p in ("*/*", mime) or (p.endswith("/*") and mime.startswith(p[:-1])):
            return True
    return False


def proxy_event(
    request: HttpRequest,
    *,
    resource: str,
    path_parameters: Mapping[str, str],
    stage: str,
    api_id: str,
    request_id: str,
    now: float,
    binary_media_types: Sequence[str] = (),
) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy integration event."""
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        multi_headers.setdefault(name, []).append(value)
    headers = {name: values[-1] for name, values in multi_headers.items()}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        multi_query.setdefault(name, []).append(value)
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    body: str | None = None
    is_base64 = bool(request.body) and is_binary(content_type, binary_media_types)
    if is_base64:
        body = base64.b64encode(request.body).decode()
    elif request.body:
        body = request.body.decode(errors="replace")  # API Gateway passes non-binary types as text
    user_agent = headers.get("User-Agent") or headers.get("user-agent")
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": hashlib.sha1(resource.encode()).hexdigest()[:6],  # noqa: S324
            "resourcePath": resource,
            "httpMethod": request.method,
            "extendedRequestId": request_id,
            "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{request.path}",
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": api_id,
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "sourceIp": request.source_ip,
                "userAgent": user_agent,
                "cognitoIdentityId": None,
                "caller": None,
                "user": None,
                "userArn": None,
                "accountId": None,
                "apiKey": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
            },
            "domainName": f"{api_id}.execute-api.{REGION}.amazonaws.com",
            "apiId": api_id,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes


def gateway_error(status: int, message: str) -> HttpResponse:
    error_type = _ERROR_TYPES.get(status)
    return HttpResponse(
        status,
        [("Content-Type", "application/json"), *([("x-amzn-ErrorType", error_type)] if error_type else [])],
        json.dumps({"message": message}).encode(),
    )


_ERROR_TYPES = {
    403: "MissingAuthenticationTokenException",
    502: "InternalServerErrorException",
    504: "IntegrationTimeoutException",
}


def proxy_response(payload: bytes) -> HttpResponse:
    """Map a proxy integration's function result to the HTTP response API Gateway sends; 502 when malformed."""
    try:
        data = json.loads(payload)
    except ValueError:
        return gateway_error(502, "Internal server error")
    allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}
    if not isinstance(data, dict) or not set(data) <= allowed:
        return gateway_error(502, "Internal server error")
    try:
        status = int(data.get("statusCode", 200))
        headers: list[tuple[str, str]] = []
        for name, values in (data.get("multiValueHeaders") or {}).items():
            headers.extend((name, str(v)) for v in values)
        multi_names = {n.lower() for n, _ in headers}
        headers.extend((n, str(v)) for n, v in (data.get("headers") or {}).items() if n.lower() not in multi_names)
        raw = data.get("body")
        if raw is not None and not isinstance(raw, str):
            return gateway_error(502, "Internal server error")
        body = base64.b64decode(raw) if raw and data.get("isBase64Encoded") else (raw or "").encode()
    except (TypeError, ValueError, AttributeError):
        return gateway_error(502, "Internal server error")
    if not 100 <= status <= 599:
        return gateway_error(502, "Internal server error")
    return HttpResponse(status, headers, body)


def match_route(template: str, path: str) -> dict[str, str] | None:
    """Match an API Gateway resource path (``/product/{id}``, ``/files/{proxy+}``) against a request path."""
    t_parts = [p for p in template.split("/") if p]
    p_parts = [p for p in path.split("/") if p]
    params: dict[str, str] = {}
    for i, part in enumerate(t_parts):
        if part.startswith("{") and part.endswith("+}"):
            rest = p_parts[i:]
            if not rest:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if i >= len(p_parts):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = p_parts[i]
        elif part != p_parts[i]:
            return None
    return params if len(p_parts) == len(t_parts) else None
