"""moto's WSGI application over HTTP/1.1 connections that stay open.

moto's own server (werkzeug's development server, as ``ThreadedMotoServer`` runs it) answers every request with
``Connection: close``, so every call through the endpoint paid a new TCP connection and a new thread on top of
moto's own work: 0.6-0.8 ms of the 4-6 ms of a simple call in bench's ``endpoint`` figure. This server keeps
werkzeug's thread per connection and moto's request environ (``MotoRequestHandler.make_environ`` keeps the
spelling of S3 metadata headers with underscores) and changes only the framing: the body is read whole before
moto sees it and the answer carries its length, so the next request on the connection starts where this one
ended (werkzeug closes because it cannot tell that).

Why not a pooled server such as waitress (measured side by side: the same gain): moto answers an SQS long poll
(``WaitTimeSeconds`` up to 20 s) by holding its thread, and the runner's pollers keep one long poll per queue,
so a fixed pool of threads would starve.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from botocore.exceptions import ClientError
from moto.moto_api import recorder
from moto.moto_server.werkzeug_app import (
    BackendRequest,
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.settings import DISABLE_GLOBAL_CORS
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import make_server
from werkzeug.utils import get_content_type

from localrun.httpserve import Answer, BodyError, read_body, write_answer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask
    from moto.backends import SERVICE_NAMES
    from werkzeug.serving import BaseWSGIServer
    from werkzeug.wrappers import Response

# Framing is this server's job: what moto says about it is dropped (a HEAD keeps its Content-Length: it describes
# the object, not the answer's body).
_FRAMING = {"connection", "keep-alive", "transfer-encoding", "content-length"}
_NO_BODY = {204, 304}


class KeepAliveMotoHandler(MotoRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # an answer is one write; a stall for the delayed ACK would cost 40 ms

    def run_wsgi(self) -> None:
        # parse_request has already answered an ``Expect: 100-continue`` (HTTP/1.1), so the body is on its way.
        try:
            body = read_body(self)
        except BodyError as exc:
            self.close_connection = True  # the rest of the stream is not a request
            self._answer(exc.status, [("Content-Type", "text/plain")], exc.message.encode())
            return
        environ = self.environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)  # the body is already de-chunked
        environ.pop("wsgi.input_terminated", None)
        try:
            code, headers, data = call_wsgi(self.server.app, environ)
        except Exception as exc:  # noqa: BLE001 - moto's app answers its own errors; this is a bug in it
            self.close_connection = True
            sys.stderr.write(f"localrun: moto failed on {self.command} {self.path}: {exc!r}\n")
            self._answer(500, [("Content-Type", "text/plain")], f"moto failed: {exc}".encode())
            return
        self._answer(code, headers, data)

    def _answer(self, code: int, headers: list[tuple[str, str]], data: bytes) -> None:
        head = self.command == "HEAD"
        out = [(name, value) for name, value in headers if name.lower() not in _FRAMING]
        if code not in _NO_BODY:
            length = next((v for k, v in headers if head and k.lower() == "content-length"), str(len(data)))
            out.append(("Content-Length", length))
        body = b"" if head or code in _NO_BODY else data
        write_answer(self, code, out, body, close=self.close_connection)


def call_wsgi(app: WSGIApplication, environ: WSGIEnvironment) -> Answer:
    """A WSGI app's answer, the body whole."""
    started: list[tuple[str, list[tuple[str, str]]]] = []
    written: list[bytes] = []  # what the app writes through start_response's write(), before its result

    def start_response(
        status: str, headers: list[tuple[str, str]], _exc_info: object = None
    ) -> Callable[[bytes], object]:
        started[:] = [(status, headers)]
        return written.append

    result: Iterable[bytes] = app(environ, start_response)
    try:
        data = b"".join(result)  # iterating may call write(): what it wrote comes first
        data = b"".join(written) + data
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = started[0]
    return int(status.partition(" ")[0]), headers, data


def flask_app() -> DomainDispatcherApplication:
    """moto's WSGI application, its per-service Flask apps out of debug mode: moto turns Flask's debug mode on, which
    builds a class on every request (Flask's form-data error helper), ~5% of a GetItem. A failure inside moto still
    reaches the server (PROPAGATE_EXCEPTIONS), as in debug mode."""

    def create_app(service: SERVICE_NAMES) -> Flask:
        app = create_backend_app(service)
        app.debug = False
        app.config["PROPAGATE_EXCEPTIONS"] = True
        return app

    return DomainDispatcherApplication(create_app)


def moto_app() -> WithoutFlask:
    """moto's WSGI application as the runner serves it (:class:`WithoutFlask` over :func:`flask_app`)."""
    return WithoutFlask(flask_app())


class WithoutFlask:
    """moto's app, answering an SDK's call by calling moto's handler for the call's URL rule, as moto's Flask view
    does, without Flask's request handling around it (~50 us of a ~300 us GetItem). Flask still answers what this
    does not: ``/moto-api``, requests with an ``Origin`` (flask_cors's answers to browsers), preflights, and
    anything without a rule (Flask's 404, 405 and redirects). tests/unit/localrun/test_motohttp.py replays calls to
    every service the runner uses through both and compares the answers."""

    def __init__(self, dispatcher: DomainDispatcherApplication) -> None:
        self.dispatcher = dispatcher
        self._root_endpoints: dict[tuple[int, str], str | None] = {}  # (app, method) -> the rule of a call to "/"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self._direct(environ)
        if isinstance(response, tuple):
            status, headers, data = response
            start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN')}", headers)
            return [data]
        answer: Iterable[bytes] = (response or self.dispatcher)(environ, start_response)
        return answer

    def _direct(self, environ: WSGIEnvironment) -> Response | Answer | None:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/moto-api") or "HTTP_ORIGIN" in environ or environ["REQUEST_METHOD"] == "OPTIONS":
            return None
        app = self.dispatcher.get_application(environ)
        endpoint = self._endpoint(app, environ)
        if endpoint is None:
            return None
        handler = getattr(app.view_functions.get(endpoint), "callback", None)
        if handler is None:
            return None
        request = _backend_request(environ)
        recorder._record_request(request)
        try:
            result = handler(request, _raw_url(request), dict(request.headers))
        except ClientError as exc:  # as moto's view answers it
            result = 400, {}, exc.response["Error"]["Message"]
        except HTTPException as exc:  # as Flask answers a view's
            return self._cors(exc.get_response(environ))
        status, headers, content = result if len(result) == 3 else (200, {}, result)
        plain = _plain_answer(app.response_class, request.method, status, headers, content)
        if plain is not None:
            return plain
        response: Response = app.response_class(response=content, status=status, headers=headers)
        if request.method == "HEAD" and "content-length" in headers:
            response.headers["Content-Length"] = headers["content-length"]
        return self._cors(response)

    def _endpoint(self, app: Flask, environ: WSGIEnvironment) -> str | None:
        """The endpoint of the call's URL rule, None when Flask must answer (no rule, a redirect). A call to "/" (every
        JSON and query protocol call) is matched once per app and method: bound without a server name (as here) and
        without host matching, werkzeug matches it on nothing else."""
        url_map = app.url_map
        key = (id(app), str(environ["REQUEST_METHOD"]))
        cacheable = environ.get("PATH_INFO") == "/" and not url_map.host_matching
        if cacheable and key in self._root_endpoints:
            return self._root_endpoints[key]
        try:
            endpoint: str | None = url_map.bind_to_environ(environ).match()[0]
        except HTTPException:
            endpoint = None
        if cacheable:
            self._root_endpoints[key] = endpoint
        return endpoint

    @staticmethod
    def _cors(response: Response) -> Response:
        if not DISABLE_GLOBAL_CORS:  # flask_cors's answer to a request without an Origin, with moto's defaults
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response


def _plain_answer(
    response_class: type[Response], method: str, status: object, headers: object, content: object
) -> Answer | None:
    """The answer Flask's response class would give for a handler's result, built without it (~10 us of a ~230 us
    TransactWriteItems), for the plain case only: a 2xx other than 204 to anything but a HEAD, a ``str`` or
    ``bytes`` body, a dict of ``str`` or ``int`` header values without line breaks, and no ``Location``. As the
    response class does: the values as ``str``, its default Content-Type when the handler gives none, the body's
    Content-Length, then the CORS header :meth:`WithoutFlask._cors` sets. Anything else goes through the response
    class. tests/unit/localrun/test_motohttp.py compares the answers with Flask's own."""
    if method == "HEAD" or type(status) is not int or not 200 <= status < 300 or status == 204:
        return None
    if type(headers) is not dict:
        return None
    if type(content) is str:
        data = content.encode()
    elif type(content) is bytes:
        data = content
    else:
        return None
    out: list[tuple[str, str]] = []
    for name, value in headers.items():
        if type(name) is not str or type(value) not in (str, int):
            return None
        text = str(value)
        if "\n" in text or "\r" in text or name.lower() in _LOCATIONS:
            return None
        out.append((name, text))
    default_type = response_class.default_mimetype  # the class sets none when it has none
    if default_type is not None and not any(name.lower() == "content-type" for name, _ in out):
        _set_header(out, "Content-Type", get_content_type(default_type, "utf-8"))
    _set_header(out, "Content-Length", str(len(data)))
    if not DISABLE_GLOBAL_CORS:
        _set_header(out, "Access-Control-Allow-Origin", "*")
    return status, out, data


_LOCATIONS = ("location", "content-location")  # werkzeug rewrites these on the way out


def _set_header(headers: list[tuple[str, str]], name: str, value: str) -> None:
    """werkzeug's ``Headers.set``: the first header of that name (any case) becomes this one, the others go; with
    none, it is added at the end."""
    lower = name.lower()
    at = next((i for i, (old, _) in enumerate(headers) if old.lower() == lower), None)
    if at is None:
        headers.append((name, value))
        return
    headers[at] = (name, value)
    headers[at + 1 :] = [(old, v) for old, v in headers[at + 1 :] if old.lower() != lower]


_URLENCODED = "application/x-www-form-urlencoded"


def _backend_request(environ: WSGIEnvironment) -> BackendRequest:
    """The request class moto gives its Flask apps, with the body the server already read whole. werkzeug reads a
    body through its form parser, form or not (~25 us of a ~300 us call), and sets that parser up for every form
    (~50 us of an SNS Publish). So a body that is not compressed is handed over as that parsing would have left it:
    a URL-encoded form (the query protocol: SNS) as its fields, read as werkzeug's
    ``FormDataParser._parse_urlencoded`` reads them, with the request's stream consumed; any other body but a
    multipart form as itself, with no form fields. Neither has files. Multipart forms and compressed bodies go
    werkzeug's way (moto decompresses before it reads)."""
    request = BackendRequest(environ)
    body = environ.get("wsgi.input")
    if not isinstance(body, io.BytesIO) or body.tell() != 0 or "HTTP_CONTENT_ENCODING" in environ:
        return request
    mimetype = request.mimetype
    if mimetype == _URLENCODED:
        try:
            fields = parse_qsl(body.getvalue().decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        except ValueError:  # as werkzeug's silent parser: a body that is no UTF-8 is a form without fields
            fields = []
        request.__dict__["stream"] = io.BytesIO()  # consumed by the parsing (wsgi.input is left for moto's recorder)
        request.__dict__["form"] = request.parameter_storage_class(fields)
    elif mimetype != "multipart/form-data":
        request._cached_data = body.getvalue()
        request.__dict__["form"] = request.parameter_storage_class()
    else:
        return request
    request.__dict__["files"] = request.parameter_storage_class()
    return request


# A host werkzeug's URI -> IRI conversion gives back unchanged: lower case, ASCII, no Punycode, a canonical port.
_PLAIN_HOST = re.compile(r"(?!.*xn--)[a-z0-9.-]+(:[1-9][0-9]{0,4})?")


def _raw_url(request: BackendRequest) -> str:
    """moto's ``request.raw_url`` (the URL as it arrived). For a plain host, no script root and a target that is a
    path, it is built here from the environ: werkzeug builds its root through a URI -> IRI conversion that leaves
    such a URL as it is, and moto parses the target as a URL to find the path (~15 us of a ~270 us ReceiveMessage).
    Any other request gets moto's own."""
    environ = request.environ
    host, target = environ.get("HTTP_HOST", ""), environ.get("RAW_URI", "")
    if (
        environ.get("SCRIPT_NAME")
        or environ.get("wsgi.url_scheme") != "http"
        or not _PLAIN_HOST.fullmatch(host)
        or host.endswith(":80")  # werkzeug drops the default port
        or not target.startswith("/")  # a full URL, or none: moto's parse
    ):
        return request.raw_url
    path = target.split("?", 1)[0]
    url = f"http://{host}{path}"
    query = request.query_string
    return f"{url}?{query.decode()}" if query else url


class InAccount:
    """moto's app with every call in ``account_id`` (moto's ``x-moto-account-id`` header), not through the process's
    environment: ``MOTO_ACCOUNT_ID`` would reach everything else in the process and its children."""

    def __init__(self, app: WSGIApplication, account_id: str) -> None:
        self.app = app
        self.account_id = account_id

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.account_id
        return self.app(environ, start_response)


def moto_http_server(host: str, port: int, app: WSGIApplication | None = None) -> BaseWSGIServer:
    """moto's app (a new one unless given) on ``host:port`` (0: a free port); run it with ``serve_forever()``, end it
    with ``shutdown()``."""
    app = app or moto_app()
    return make_server(host, port, app, threaded=True, request_handler=KeepAliveMotoHandler)
