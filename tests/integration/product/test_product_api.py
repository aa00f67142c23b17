"""The product Lambda handler with API Gateway REST proxy events (prod stage), against moto."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Invoke = Callable[[dict[str, Any]], tuple[int, Any, dict[str, str]]]
Build = Callable[..., dict[str, Any]]
PHONE = {"name": "IPhone X", "description": "A phone", "imageFile": "p.png", "price": "950.40", "category": "Phone"}


NO_CONTEXT: Any = None  # the handlers ignore the Lambda context object


def _create(invoke: Invoke, api_event: Build, **overrides: Any) -> dict[str, Any]:
    status, body, _ = invoke(api_event("POST", "/product", body={**PHONE, **overrides}))
    assert status == 201
    return dict(body)


def test_post_answers_201_with_the_server_generated_id(invoke: Invoke, api_event: Build) -> None:
    # WHEN
    status, body, headers = invoke(api_event("POST", "/product", body=PHONE))
    # THEN
    assert status == 201
    assert body == {**PHONE, "id": body["id"]} and body["id"]
    assert headers["location"] == f"/product/{body['id']}"
    # AND it can be read back
    assert invoke(api_event("GET", f"/product/{body['id']}"))[:2] == (200, body)


def test_a_missing_product_is_404_with_a_reason_never_an_empty_200(invoke: Invoke, api_event: Build) -> None:
    status, body, _ = invoke(api_event("GET", "/product/nope"))
    assert (status, body) == (404, {"message": "product nope not found"})


def test_put_changes_an_existing_product_and_never_creates(invoke: Invoke, api_event: Build) -> None:
    # GIVEN
    product = _create(invoke, api_event)
    # WHEN
    status, body, _ = invoke(api_event("PUT", f"/product/{product['id']}", body={"name": "IPhone X2"}))
    # THEN
    assert (status, body) == (200, {**product, "name": "IPhone X2"})
    status, _, _ = invoke(api_event("PUT", "/product/new-id", body={"name": "IPhone X2"}))
    assert status == 404
    assert invoke(api_event("GET", "/product/new-id"))[0] == 404


def test_a_price_change_is_published_to_the_bus(
    invoke: Invoke, api_event: Build, captured_events: Callable[[], list[dict[str, Any]]]
) -> None:
    # GIVEN
    product = _create(invoke, api_event)
    # WHEN
    event = api_event("PUT", f"/product/{product['id']}", body={"price": 899.99})
    invoke(event)
    # THEN
    [published] = captured_events()
    assert (published["source"], published["detail-type"]) == ("com.swn.product", "ProductPriceChanged")
    assert published["detail"]["data"] == {"productId": product["id"], "oldPrice": "950.40", "newPrice": "899.99"}
    assert published["detail"]["metadata"]["correlationId"] == event["requestContext"]["requestId"]


def test_delete_answers_204_then_404(invoke: Invoke, api_event: Build) -> None:
    product = _create(invoke, api_event)
    assert invoke(api_event("DELETE", f"/product/{product['id']}"))[:2] == (204, "")
    assert invoke(api_event("DELETE", f"/product/{product['id']}"))[0] == 404


def test_invalid_bodies_answer_422_with_reasons_and_without_echoing_input(invoke: Invoke, api_event: Build) -> None:
    # WHEN
    status, body, _ = invoke(api_event("POST", "/product", body={**PHONE, "price": -5, "id": "mine", "name": ""}))
    # THEN
    assert status == 422
    assert body["message"] == "request validation failed"
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "price"), ("body", "id"), ("body", "name")}
    assert "mine" not in str(body)
    assert all(set(e) == {"loc", "msg", "type"} for e in body["errors"])


@pytest.mark.parametrize("raw", ["{not json", "[]", '"text"', ""])
def test_malformed_json_answers_422(invoke: Invoke, api_event: Build, raw: str) -> None:
    event = api_event("POST", "/product", body=raw)
    event["headers"]["Content-Type"] = "application/json"
    assert invoke(event)[0] == 422


def test_listing_pages_with_an_opaque_token(invoke: Invoke, api_event: Build) -> None:
    # GIVEN
    ids = {_create(invoke, api_event, name=f"P{n}")["id"] for n in range(5)}
    # WHEN
    seen: set[str] = set()
    query = {"limit": "2"}
    for _ in range(5):
        status, body, _ = invoke(api_event("GET", "/product", query=query))
        assert status == 200 and len(body["items"]) <= 2
        seen |= {p["id"] for p in body["items"]}
        if body["nextToken"] is None:
            break
        query = {"limit": "2", "nextToken": body["nextToken"]}
    # THEN
    assert seen == ids


def test_category_filter(invoke: Invoke, api_event: Build) -> None:
    case = _create(invoke, api_event, name="Case", category="Accessory")
    _create(invoke, api_event)
    status, body, _ = invoke(api_event("GET", "/product", query={"category": "Accessory"}))
    assert (status, body["items"]) == (200, [case])


@pytest.mark.parametrize(
    ("query", "status"),
    [({"nextToken": "garbage"}, 400), ({"limit": "0"}, 422), ({"limit": "1000"}, 422), ({"limit": "x"}, 422)],
)
def test_bad_list_parameters(invoke: Invoke, api_event: Build, query: dict[str, str], status: int) -> None:
    got, body, _ = invoke(api_event("GET", "/product", query=query))
    assert got == status and body["message"]


def test_unknown_routes_answer_404_json(invoke: Invoke, api_event: Build) -> None:
    assert invoke(api_event("GET", "/nothing/here"))[:2] == (404, {"message": "Not Found"})


def test_openapi_behind_the_prod_stage_names_the_stage_as_server(invoke: Invoke, api_event: Build) -> None:
    # WHEN
    status, doc, _ = invoke(api_event("GET", "/product/openapi.json"))
    # THEN
    assert status == 200
    assert doc["servers"] == [{"url": "/prod"}]
    assert set(doc["paths"]) == {"/product", "/product/{id}"}
    # AND the docs page loads the document through the stage
    status, html, _ = invoke(api_event("GET", "/product/docs"))
    assert status == 200 and "'/prod/product/openapi.json'" in html


def test_openapi_without_a_stage_prefix_has_no_server_prefix(invoke: Invoke, api_event: Build) -> None:
    status, doc, _ = invoke(api_event("GET", "/product/openapi.json", stage_in_path=False))
    assert status == 200 and "servers" not in doc
    _, html, _ = invoke(api_event("GET", "/product/docs", stage_in_path=False))
    assert "'/product/openapi.json'" in html


def test_a_dependency_failure_is_503_with_a_correlation_id_and_no_details(
    aws_env: None, api_event: Build, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN no table exists (moto answers ResourceNotFoundException)
    from product.handlers.api import handler

    event = api_event("GET", "/product/p1")
    # WHEN
    response = handler(event, NO_CONTEXT)
    # THEN
    assert response["statusCode"] == 503
    assert "ResourceNotFound" not in response["body"] and "Traceback" not in response["body"]
    assert event["requestContext"]["requestId"] in response["body"]
    assert response["headers"]["x-correlation-id"] == event["requestContext"]["requestId"]


def test_an_unexpected_error_is_500_without_details(
    product_table: Any, api_event: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a bug deep inside
    from product.domain.catalog import ProductCatalog
    from product.handlers import api

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(ProductCatalog, "get", broken)
    event = api_event("GET", "/product/p1")
    # WHEN
    response = api.handler(event, NO_CONTEXT)
    # THEN
    assert response["statusCode"] == 500
    assert "secret internals" not in response["body"]
    assert event["requestContext"]["requestId"] in response["body"]


# -- reads are public, writes are for admins ----------------------------------------------------------------------
def test_reads_need_no_user_and_writes_need_an_admin(
    invoke: Invoke, api_event: Build, claims_for: Callable[..., dict[str, str]]
) -> None:
    # GIVEN a product an admin created
    product = _create(invoke, api_event)
    # THEN anyone reads it
    assert invoke(api_event("GET", f"/product/{product['id']}", anonymous=True))[:2] == (200, product)
    assert invoke(api_event("GET", "/product", anonymous=True))[0] == 200
    # AND nobody else writes: no user -> 401, a user outside admins -> 403 with the reason
    writes = [
        ("POST", "/product", "/product", PHONE),
        ("PUT", f"/product/{product['id']}", "/product/{id}", {"price": "1.00"}),
        ("DELETE", f"/product/{product['id']}", "/product/{id}", None),
    ]
    for method, path, route, body in writes:
        assert invoke(api_event(method, path, body=body, anonymous=True))[0] == 401
        assert invoke(api_event(method, path, body=body, claims=claims_for("swn")))[:2] == (
            403,
            {"message": f"only members of the admins group may {method} {route}"},
        )
    assert invoke(api_event("GET", f"/product/{product['id']}", anonymous=True))[1] == product


def test_openapi_marks_writes_as_signed_in_and_reads_as_public(invoke: Invoke, api_event: Build) -> None:
    _, doc, _ = invoke(api_event("GET", "/product/openapi.json", anonymous=True))
    assert doc["components"]["securitySchemes"]["cognitoIdToken"]["bearerFormat"] == "JWT"
    assert "security" not in doc["paths"]["/product"]["get"]
    assert "security" not in doc["paths"]["/product/{id}"]["get"]
    for method, path in [("post", "/product"), ("put", "/product/{id}"), ("delete", "/product/{id}")]:
        assert doc["paths"][path][method]["security"] == [{"cognitoIdToken": []}]
