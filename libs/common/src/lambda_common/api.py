"""What every REST service shares: the FastAPI app factory, error mapping and the API Gateway stage prefix.

Only REST services import this module (it needs FastAPI, which they depend on; lambda-common does not).

Error bodies are always ``{"message": ...}`` (plus ``errors`` for validation failures and ``correlationId`` for
5xx). No exception text reaches a client unless it is a ``DomainError``, whose message is written to be shown.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any
from uuid import uuid4

from fastapi import Depends, FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from lambda_common.errors import (
    ConflictError,
    DependencyError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnauthenticatedError,
)
from lambda_common.identity import Caller, caller_from_claims
from lambda_common.logging import get_logger

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

CORRELATION_HEADER = "x-correlation-id"


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx answer."""

    message: str = Field(description="Why the request failed, safe to show to a user")
    correlationId: str | None = Field(  # noqa: N815 - wire name
        default=None, description="Quote this when reporting a server error"
    )


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is, e.g. ['body', 'price']")
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    """422: the request did not match the schema. The offending input is never echoed back (it may be sensitive)."""

    message: str
    errors: list[FieldError]


#: Responses every route may give; pass as ``APIRouter(responses=STANDARD_RESPONSES)`` so the OpenAPI document is
#: truthful (FastAPI would otherwise advertise its own 422 shape, which these handlers do not produce).
STANDARD_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The request breaks a business rule"},
    422: {"model": ValidationErrorBody, "description": "The request does not match the schema"},
    500: {"model": ErrorBody, "description": "Unexpected server error (details are logged, not returned)"},
    503: {"model": ErrorBody, "description": "A dependency (DynamoDB, EventBridge) failed; retry later"},
}

#: Responses of every route that needs a signed-in user.
SIGNED_IN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No valid ID token (API Gateway answers this before the service)"},
    403: {"model": ErrorBody, "description": "The signed-in user may not do this (e.g. another user's basket)"},
}

_STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (UnauthenticatedError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InvalidInputError, 400),
)


def correlation_id(request: Request) -> str:
    """The id that ties this request's log lines together: API Gateway's requestId when there is one."""
    return str(request.scope.get("correlation_id") or "-")


def _error(status: int, message: str, cid: str | None = None) -> JSONResponse:
    body = ErrorBody(message=message, correlationId=cid).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    status = next((code for cls, code in _STATUS_BY_ERROR if isinstance(exc, cls)), 400)
    return _error(status, str(exc) or type(exc).__name__)


async def _dependency_error(request: Request, exc: Exception) -> JSONResponse:
    cid = correlation_id(request)
    get_logger().error("dependency failure", extra={"error": repr(exc), "correlation_id": cid})
    return _error(503, "a dependency is unavailable, please retry later", cid)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Keep loc/msg/type only: pydantic's "input" and "ctx" could echo back secrets such as a card number.
    errors = [
        FieldError(
            loc=[p for p in e.get("loc", ()) if isinstance(p, str | int)],
            msg=str(e.get("msg", "")),
            type=str(e.get("type", "")),
        )
        for e in exc.errors()
    ]
    body = ValidationErrorBody(message="request validation failed", errors=errors)
    return JSONResponse(body.model_dump(), status_code=422)


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """The methods of the resource at this path, as the OpenAPI document lists them (the first path template that
    matches, in routing order); for paths outside the document, each method is asked of the router. (Starlette's
    own 405 names only the first route's methods, e.g. GET for a path that also has PUT and DELETE.)"""
    path = request.scope["path"]
    root = request.scope.get("root_path") or ""
    if root and path.startswith(root):
        path = path[len(root) :]
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), path):
            return [*(m.upper() for m in operations if m.upper() in _METHODS), "OPTIONS"]
    routes = request.app.router.routes
    methods = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    return [*methods, "OPTIONS"] if methods else []


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        if request.method == "OPTIONS":  # RFC 9110: OPTIONS answers which methods the resource supports.
            return Response(status_code=204, headers=headers)
    response = _error(exc.status_code, str(exc.detail))
    response.headers.update(headers)
    return response


class StageAndCorrelationMiddleware:
    """Pure ASGI middleware (no per-request task hop) that, for requests arriving through Mangum:

    * restores the prefix API Gateway removed (the ``/prod`` stage, or a custom-domain base path) as the ASGI
      ``root_path``, so the OpenAPI ``servers`` entry, the docs page's document URL and ``request.url`` are right
      (Mangum leaves ``root_path`` empty: Kludex/mangum#318). The prefix is whatever ``requestContext.path`` has
      in front of ``path``, so the local gateway, which sends no stage in the path, gets no prefix;
    * takes the correlation id from API Gateway's ``requestId`` (else the ``x-correlation-id`` header, else a
      new one), puts it on the logger and returns it as a response header;
    * turns any exception that escaped the app into a 500 without details, logged with that id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        event: dict[str, Any] = scope.get("aws.event") or {}
        context = event.get("requestContext") or {}
        prefix = _stage_prefix(str(context.get("path") or ""), str(event.get("path") or ""))
        if prefix and not scope.get("root_path"):
            scope = {**scope, "root_path": prefix, "path": prefix + scope["path"]}
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cid = str(context.get("requestId") or headers.get(CORRELATION_HEADER) or uuid4())
        scope = {**scope, "correlation_id": cid}
        logger = get_logger()
        logger.set_correlation_id(cid)

        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                header = (CORRELATION_HEADER.encode(), cid.encode("latin-1", "replace"))
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error", extra={"correlation_id": cid, "path": scope.get("path")})
            if started:  # Too late for a clean answer; the runtime will report the failure.
                raise
            body = _error(500, "internal server error", cid)
            await body(scope, receive, send_with_id)
        finally:
            logger.set_correlation_id(None)


# Declares the scheme in the OpenAPI document; the token itself is checked by API Gateway's authorizer, which passes
# its claims in the event (see current_caller), so the header's value is not read here.
_id_token = HTTPBearer(
    scheme_name="cognitoIdToken",
    bearerFormat="JWT",
    description="An ID token of the API's Cognito user pool (`Authorization: Bearer <IdToken>`)",
    auto_error=False,
)


async def current_caller(
    request: Request,
    _token: Annotated[HTTPAuthorizationCredentials | None, Security(_id_token)],
) -> Caller:
    """The signed-in caller, from ``requestContext.authorizer.claims`` (set by API Gateway, never by the client)."""
    event: dict[str, Any] = request.scope.get("aws.event") or {}
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") if isinstance(authorizer, dict) else None
    return caller_from_claims(claims if isinstance(claims, dict) else None)


async def current_admin(request: Request, caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    route = request.scope.get("route")
    caller.ensure_admin(f"{request.method} {getattr(route, 'path', request.url.path)}")
    return caller


#: A route parameter holding the signed-in caller (401 when there is none).
CurrentCaller = Annotated[Caller, Depends(current_caller)]
#: The signed-in caller, who must be in the ``admins`` group (403 otherwise).
AdminCaller = Annotated[Caller, Depends(current_admin)]


def _stage_prefix(context_path: str, path: str) -> str:
    if context_path and path and context_path != path and context_path.endswith(path):
        return context_path[: len(context_path) - len(path)].rstrip("/")
    return ""


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True)
    resource: str
    title: str
    version: str
    description: str


def create_app(*, resource: str, title: str, version: str = "1.0.0", description: str = "") -> FastAPI:
    """A FastAPI app whose docs live under ``/<resource>`` (the only prefix API Gateway routes to the function)."""
    cfg = _Config(resource=resource.strip("/"), title=title, version=version, description=description)
    app = FastAPI(
        title=cfg.title,
        version=cfg.version,
        description=cfg.description,
        openapi_url=f"/{cfg.resource}/openapi.json",
        docs_url=f"/{cfg.resource}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.add_exception_handler(DependencyError, _dependency_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(StageAndCorrelationMiddleware)
    return app
