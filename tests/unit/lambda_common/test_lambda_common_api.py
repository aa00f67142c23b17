"""lambda_common.api: error mapping, correlation ids and the API Gateway stage prefix (in-process, no AWS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from lambda_common.api import STANDARD_RESPONSES, _stage_prefix, create_app
from lambda_common.errors import ConflictError, DependencyError, InvalidInputError, NotFoundError
from mangum import Mangum
from pydantic import BaseModel

SAMPLE = Path(__file__).parents[3] / "services" / "product" / "events" / "get-product.json"


NO_CONTEXT: Any = None  # the handlers ignore the Lambda context object


class Body(BaseModel):
    secret: int


router = APIRouter(prefix="/thing", responses=STANDARD_RESPONSES)
ERRORS: dict[str, Exception] = {
    "missing": NotFoundError("thing missing not found"),
    "clash": ConflictError("thing exists"),
    "rule": InvalidInputError("that breaks a rule"),
    "db": DependencyError("DynamoDB said: ProvisionedThroughputExceededException arn:aws:..."),
    "bug": RuntimeError("secret internals"),
}


@router.get("/{name}")
async def get_thing(name: str) -> dict[str, str]:
    if name in ERRORS:
        raise ERRORS[name]
    return {"name": name}


@router.post("")
async def post_thing(body: Body) -> dict[str, int]:
    return {"secret": body.secret}


@router.delete("/{name}", status_code=204)
async def delete_thing(name: str) -> None:
    return None


app = create_app(resource="thing", title="Thing")
app.include_router(router)
client = TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [
        ("missing", 404, "thing missing not found"),
        ("clash", 409, "thing exists"),
        ("rule", 400, "that breaks a rule"),
    ],
)
def test_domain_errors_map_to_4xx_with_their_message(name: str, status: int, message: str) -> None:
    response = client.get(f"/thing/{name}")
    assert (response.status_code, response.json()) == (status, {"message": message})


@pytest.mark.parametrize(("name", "status"), [("db", 503), ("bug", 500)])
def test_server_errors_hide_details_and_carry_the_correlation_id(name: str, status: int) -> None:
    # WHEN
    response = client.get(f"/thing/{name}", headers={"x-correlation-id": "cid-123"})
    # THEN
    assert response.status_code == status
    body = response.json()
    assert body["correlationId"] == "cid-123" == response.headers["x-correlation-id"]
    assert "secret" not in response.text and "Dynamo" not in response.text and "Traceback" not in response.text


def test_validation_errors_are_422_with_reasons_and_no_input_echo() -> None:
    response = client.post("/thing", json={"secret": "hunter2"})
    assert response.status_code == 422
    assert response.json() == {
        "message": "request validation failed",
        "errors": [
            {
                "loc": ["body", "secret"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "type": "int_parsing",
            }
        ],
    }
    assert "hunter2" not in response.text


def test_unknown_routes_and_methods_answer_json() -> None:
    assert (client.get("/nope").status_code, client.get("/nope").json()) == (404, {"message": "Not Found"})
    assert client.put("/thing/x").status_code == 405


def test_405_and_options_name_every_method_the_path_serves() -> None:
    # GIVEN /thing/{name} served by two routes (GET and DELETE): Starlette's own 405 names only the first route's
    # WHEN / THEN
    refused = client.put("/thing/x")
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET, DELETE, OPTIONS")
    options = client.options("/thing/x")
    assert (options.status_code, options.headers["allow"], options.content) == (204, "GET, DELETE, OPTIONS", b"")
    assert client.options("/thing").headers["allow"] == "POST, OPTIONS"


def test_a_correlation_id_is_made_up_when_none_is_given() -> None:
    assert client.get("/thing/x").headers["x-correlation-id"]


def test_the_openapi_document_advertises_the_error_bodies_it_really_sends() -> None:
    doc = client.get("/thing/openapi.json").json()
    responses = doc["paths"]["/thing"]["post"]["responses"]
    assert responses["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationErrorBody"
    }
    assert "HTTPValidationError" not in doc["components"]["schemas"]


@pytest.mark.parametrize(
    ("context_path", "path", "prefix"),
    [
        ("/prod/thing/1", "/thing/1", "/prod"),  # execute-api URL: the stage
        ("/shop/v1/thing/1", "/thing/1", "/shop/v1"),  # custom domain with a base path mapping
        ("/thing/1", "/thing/1", ""),  # custom domain without a base path, or the local gateway
        ("", "/thing/1", ""),
        ("/elsewhere", "/thing/1", ""),
    ],
)
def test_stage_prefix(context_path: str, path: str, prefix: str) -> None:
    assert _stage_prefix(context_path, path) == prefix


def _api_event(path: str, *, context_path: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(SAMPLE.read_text())
    event.update(path=path, resource="/thing/{proxy+}", pathParameters=None)
    event["requestContext"].update(path=context_path, requestId="apigw-request-1")
    return event


def test_through_mangum_the_stage_becomes_the_root_path() -> None:
    # GIVEN
    handler = Mangum(app, lifespan="off")
    # WHEN
    doc = handler(_api_event("/thing/openapi.json", context_path="/prod/thing/openapi.json"), NO_CONTEXT)
    docs = handler(_api_event("/thing/docs", context_path="/prod/thing/docs"), NO_CONTEXT)
    routed = handler(_api_event("/thing/x", context_path="/prod/thing/x"), NO_CONTEXT)
    # THEN
    assert json.loads(doc["body"])["servers"] == [{"url": "/prod"}]
    assert "'/prod/thing/openapi.json'" in docs["body"]
    assert (routed["statusCode"], json.loads(routed["body"])) == (200, {"name": "x"})
    assert routed["headers"]["x-correlation-id"] == "apigw-request-1"
