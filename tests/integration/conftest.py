"""Fixtures shared by the integration tests: moto in-process, API Gateway proxy events, proxy responses."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from lambda_common import aws
from moto import mock_aws

NO_CONTEXT: Any = None  # the handlers ignore the Lambda context object

Response = tuple[int, Any, dict[str, str]]


def _drop_clients_moto_would_miss() -> None:
    """The process-wide clients are reused across tests (creating them is the slow part), unless another test left
    them bound to a custom endpoint, which moto does not intercept."""
    endpoints = (aws.client("dynamodb").meta.endpoint_url, aws.client("events").meta.endpoint_url)
    if not all(url.endswith(".amazonaws.com") for url in endpoints):
        aws.reset()


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every AWS call of the test goes to moto in-process: no endpoint overrides, dummy credentials."""
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL") or n == "AWS_PROFILE"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        _drop_clients_moto_would_miss()
        yield


def id_claims(user: str, *groups: str) -> dict[str, str]:
    """The claims API Gateway's Cognito authorizer passes for ``user``'s ID token (every value a string)."""
    claims = {
        "sub": f"sub-{user}",
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST",
        "aud": "testclient",
        "token_use": "id",
        "cognito:username": user,
    }
    if groups:
        claims["cognito:groups"] = ",".join(groups)
    return claims


@pytest.fixture
def claims_for() -> Callable[..., dict[str, str]]:
    """``claims_for(user, *groups)``: an authorizer's claims for a signed-in user."""
    return id_claims


@pytest.fixture
def make_api_event() -> Callable[..., dict[str, Any]]:
    """Build an API Gateway REST (v1) proxy event from a shipped sample, as the prod stage delivers it.

    The caller is the sample's (``requestContext.authorizer``), or ``claims``; ``anonymous`` drops it, as for a
    public route.
    """

    def build(
        template: dict[str, Any],
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        resource: str | None = None,
        path_parameters: dict[str, str] | None = None,
        stage_in_path: bool = True,
        claims: dict[str, str] | None = None,
        anonymous: bool = False,
    ) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(json.dumps(template))
        event.update(
            httpMethod=method,
            path=path,
            resource=resource or path,
            pathParameters=path_parameters,
            queryStringParameters=query,
            multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
            body=body if body is None or isinstance(body, str) else json.dumps(body),
        )
        if body is not None:
            event["headers"]["Content-Type"] = "application/json"
            event["multiValueHeaders"]["Content-Type"] = ["application/json"]
        event["requestContext"].update(
            httpMethod=method,
            resourcePath=event["resource"],
            path=f"/prod{path}" if stage_in_path else path,
            requestId=f"req-{method}-{path}",
        )
        if anonymous:
            event["requestContext"].pop("authorizer", None)
        elif claims is not None:
            event["requestContext"]["authorizer"] = {"claims": claims}
        return event

    return build


@pytest.fixture
def call_api() -> Callable[[Callable[[dict[str, Any], Any], dict[str, Any]], dict[str, Any]], Response]:
    """Invoke a Lambda handler as the runtime would and decode its proxy response: (status, body, headers)."""

    def call(handler: Callable[[dict[str, Any], Any], dict[str, Any]], event: dict[str, Any]) -> Response:
        response = handler(event, NO_CONTEXT)
        body = response.get("body") or ""
        decoded = json.loads(body) if body[:1] in ("[", "{") else body
        return response["statusCode"], decoded, response["headers"]

    return call
