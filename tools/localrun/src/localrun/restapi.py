"""The REST API on ``http://127.0.0.1:3000``: API Gateway REST (v1) proxy integrations, without the stage prefix."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from localrun.authorizer import CognitoAuthorizer, TokenRejectedError, unauthorized
from localrun.httpserve import Answer, LeanHTTPServer, Received
from localrun.journal import Journal
from localrun.lambdas import LambdaControlPlane, PayloadTooLargeError
from localrun.model import RestApi, Route
from localrun.pool import NoFreeInstanceError
from localrun.records.apigateway import HttpRequest, HttpResponse, gateway_error, proxy_event, proxy_response
from localrun.routes import resolve_route
from localrun.traces import TRACE_HEADER, new_trace_id, trace_header, trace_id_from_header

INTEGRATION_TIMEOUT_S = 29.0
MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload quota (REST APIs)
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})  # the server's to set, not a function's


class RestGateway:
    def __init__(
        self,
        apis: tuple[RestApi, ...],
        lambdas: LambdaControlPlane,
        journal: Journal,
        host: str = "127.0.0.1",
        port: int = 3000,
        authorizer: CognitoAuthorizer | None = None,
    ) -> None:
        self.apis = apis
        self.authorizer = authorizer  # needed when a route has a COGNITO_USER_POOLS authorizer
        self.integration_timeout_s = INTEGRATION_TIMEOUT_S
        self.lambdas = lambdas
        self.journal = journal
        # A silent client is dropped after twice the integration timeout: one that declares more body than it sends
        # is answered 400, not waited on forever.
        self.server = LeanHTTPServer(
            (host, port), self.respond, max_body_bytes=MAX_REQUEST_BODY_BYTES, timeout_s=2 * INTEGRATION_TIMEOUT_S
        )
        self.thread = threading.Thread(target=self.server.serve_forever, name="restapi", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _authorize(self, route: Route, request: HttpRequest, trace: str) -> tuple[HttpResponse | None, dict[str, Any]]:
        """As API Gateway, before the function (which a refused call never reaches): (a 401, {}) for a bad token;
        (None, the request context's ``authorizer``) for a good one; (None, {}) on a public route."""
        if route.authorizer is None:
            return None, {}
        try:
            if self.authorizer is None:
                raise TokenRejectedError("no authorizer was given to the local REST API")
            claims = self.authorizer.claims(route, request.headers)
        except TokenRejectedError as exc:
            self.journal.log("http", f"{request.method} {request.path}: 401 ({exc})", trace, ok=False)
            return unauthorized(), {}
        return None, {"authorizer": {"claims": claims}}

    def respond(self, received: Received) -> Answer:
        """The answer to one HTTP request; a failure of the runner's own is API Gateway's 502, never a hung client."""
        head = received.head
        parts = urlsplit(head.target)
        request = HttpRequest(head.method, parts.path or "/", parts.query, head.headers, received.body, received.client)
        try:
            response = self.handle(request)
        except Exception as exc:
            self.journal.log("restapi", f"{head.method} {head.target}: {exc!r}")
            response = gateway_error(502, "Internal server error")
        headers = [(k, v) for k, v in response.headers if k.lower() not in _FRAMING]
        return response.status, [*headers, ("Content-Length", str(len(response.body)))], response.body

    def handle(self, request: HttpRequest) -> HttpResponse:
        found = resolve_route(self.apis, request.method, request.path)
        if found is None or found.route.function_name is None:
            return gateway_error(403, "Missing Authentication Token")
        api, route, function_name = found.api, found.route, found.route.function_name
        if found.path != request.path:
            request = replace(request, path=found.path)
        request_id = str(uuid.uuid4())
        incoming = next((v for k, v in request.headers if k.lower() == TRACE_HEADER.lower()), None)
        trace = trace_id_from_header(incoming) or new_trace_id()
        self.journal.log(
            "http",
            f"{request.method} {request.path} -> {function_name}",
            trace,
            request_id=request_id,
            input=request.body[:65536].decode(errors="replace"),
        )
        refused, authorizer_context = self._authorize(route, request, trace)
        if refused is not None:
            return refused
        event = proxy_event(
            request,
            resource=route.path,
            path_parameters=found.params,
            stage=api.stage,
            api_id=api.id,
            request_id=request_id,
            now=time.time(),
            binary_media_types=api.binary_media_types,
        )
        event["requestContext"].update(authorizer_context)
        started = time.monotonic()
        try:
            # The wait for a free instance counts against the integration timeout, as Lambda's would.
            result = self.lambdas.invoke(
                function_name,
                json.dumps(event).encode(),
                trace,
                f"{request.method} {request.path}",
                timeout_s=self.integration_timeout_s,
                wait_s=self.integration_timeout_s,
            )
        except LookupError:
            return gateway_error(502, "Internal server error")
        except PayloadTooLargeError as exc:
            # The event (body, base64 for binary types, and headers) is over Lambda's 6 MB: Lambda refuses it.
            self.journal.log("http", f"{request.method} {request.path}: {exc} -> 413", trace, ok=False)
            return gateway_error(413, "Request Too Long")
        except NoFreeInstanceError as exc:
            self.journal.log("http", f"{request.method} {request.path}: {exc} -> 504", trace, ok=False)
            return gateway_error(504, "Endpoint request timed out")
        if not result.ok:
            # Past the integration timeout API Gateway answers 504; any function error (its own timeout included)
            # is a 502.
            if time.monotonic() - started >= self.integration_timeout_s - 0.1:
                return gateway_error(504, "Endpoint request timed out")
            return gateway_error(502, "Internal server error")
        response = proxy_response(result.body)
        if response.status == 502:
            self.journal.log(
                "http", f"{request.method} {request.path}: malformed proxy response -> 502", trace, ok=False
            )
        self.journal.log("http", f"{request.method} {request.path} <- {response.status}", trace, status=response.status)
        headers = [*response.headers, ("x-amzn-RequestId", request_id), (TRACE_HEADER, trace_header(trace))]
        return HttpResponse(response.status, headers, response.body)
