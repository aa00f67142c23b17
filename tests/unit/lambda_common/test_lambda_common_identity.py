"""lambda_common.identity and the FastAPI dependencies: the caller comes from the authorizer's claims only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import APIRouter
from lambda_common.api import AdminCaller, CurrentCaller, create_app
from lambda_common.errors import ForbiddenError, UnauthenticatedError
from lambda_common.identity import Caller, caller_from_claims, parse_groups
from mangum import Mangum

NO_CONTEXT: Any = None


@pytest.mark.parametrize(
    ("value", "groups"),
    [
        (None, set()),
        ("admins", {"admins"}),
        ("admins,staff", {"admins", "staff"}),  # REST API (v1) joins a list with commas
        ("[admins staff]", {"admins", "staff"}),  # HTTP API (v2) writes it bracketed
        (["admins", "staff"], {"admins", "staff"}),  # the token itself
        ("", set()),
    ],
)
def test_groups_in_every_shape_api_gateway_sends(value: Any, groups: set[str]) -> None:
    assert parse_groups(value) == groups


def test_the_caller_is_the_username_claim() -> None:
    # GIVEN an ID token's and an access token's claims
    id_claims = {"cognito:username": "ann", "cognito:groups": "admins", "sub": "x"}
    access_claims = {"username": "bob", "token_use": "access"}
    # THEN
    assert caller_from_claims(id_claims) == Caller(user_name="ann", groups=frozenset({"admins"}))
    assert caller_from_claims(access_claims) == Caller(user_name="bob")


@pytest.mark.parametrize("claims", [None, {}, {"sub": "no-username"}])
def test_no_user_is_unauthenticated(claims: dict[str, str] | None) -> None:
    with pytest.raises(UnauthenticatedError):
        caller_from_claims(claims)


def test_a_user_acts_only_on_their_own_things() -> None:
    ann = Caller(user_name="ann")
    ann.ensure_is("ann", "basket")
    with pytest.raises(ForbiddenError, match="signed in as ann: you may not access the basket of bob"):
        ann.ensure_is("bob", "basket")
    with pytest.raises(ForbiddenError):
        ann.ensure_is_or_admin("bob", "orders")
    with pytest.raises(ForbiddenError, match="only members of the admins group may list orders"):
        ann.ensure_admin("list orders")


def test_an_admin_reads_anyones_but_owns_only_their_own() -> None:
    admin = Caller(user_name="root", groups=frozenset({"admins"}))
    admin.ensure_is_or_admin("bob", "orders")
    admin.ensure_admin("list orders")
    with pytest.raises(ForbiddenError):
        admin.ensure_is("bob", "basket")


# -- the dependencies, through Mangum as Lambda runs them -------------------------------------------------------
router = APIRouter(prefix="/thing")


@router.get("/me")
async def me(caller: CurrentCaller) -> dict[str, Any]:
    return {"user": caller.user_name, "groups": sorted(caller.groups)}


@router.delete("/all")
async def delete_all(admin: AdminCaller) -> dict[str, str]:
    return {"by": admin.user_name}


app = create_app(resource="thing", title="Thing")
app.include_router(router)
handler = Mangum(app, lifespan="off")


def _call(method: str, path: str, claims: dict[str, str] | None, headers: dict[str, str] | None = None) -> Any:
    context: dict[str, Any] = {"requestId": "r1", "path": path, "stage": "prod", "httpMethod": method}
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    event = {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers or {},
        "multiValueHeaders": {k: [v] for k, v in (headers or {}).items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": context,
        "body": None,
        "isBase64Encoded": False,
    }
    response = handler(event, NO_CONTEXT)
    return response["statusCode"], json.loads(response["body"])


def test_the_caller_comes_from_the_request_context() -> None:
    assert _call("GET", "/thing/me", {"cognito:username": "ann", "cognito:groups": "a,b"}) == (
        200,
        {"user": "ann", "groups": ["a", "b"]},
    )


def test_headers_cannot_name_a_caller() -> None:
    # GIVEN no authorizer claims, whatever the client writes in its headers
    forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJjb2duaXRvOnVzZXJuYW1lIjoiYW5uIn0.", "X-User": "ann"}
    # THEN
    status, body = _call("GET", "/thing/me", None, forged)
    assert status == 401 and "sign in" in body["message"]


def test_admin_routes_need_the_admins_group() -> None:
    assert _call("DELETE", "/thing/all", {"cognito:username": "ann"}) == (
        403,
        {"message": "only members of the admins group may DELETE /thing/all"},
    )
    assert _call("DELETE", "/thing/all", {"cognito:username": "root", "cognito:groups": "admins"}) == (
        200,
        {"by": "root"},
    )


def test_openapi_declares_the_bearer_scheme_on_signed_in_routes_only() -> None:
    doc = app.openapi()
    assert doc["components"]["securitySchemes"]["cognitoIdToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An ID token of the API's Cognito user pool (`Authorization: Bearer <IdToken>`)",
    }
    assert doc["paths"]["/thing/me"]["get"]["security"] == [{"cognitoIdToken": []}]
    assert doc["paths"]["/thing/all"]["delete"]["security"] == [{"cognitoIdToken": []}]
