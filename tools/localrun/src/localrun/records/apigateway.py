"""API Gateway REST (v1) proxy integration: the request event a function gets and the response it must return."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from localrun.model import ACCOUNT_ID, REGION


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
