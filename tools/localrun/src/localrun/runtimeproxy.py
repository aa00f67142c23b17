"""Carries the invocation's X-Ray header into the function, as Lambda does and the RIE does not.

On Lambda the runtime API's ``/invocation/next`` answer has ``Lambda-Runtime-Trace-Id``; awslambdaric puts it in
``_X_AMZN_TRACE_ID``, and botocore then sends it as ``X-Amzn-Trace-Id`` on every AWS call the function makes. The
RIE ignores the header it is invoked with, so each instance's runtime talks to the RIE through this small proxy,
which adds the header of the invocation in flight (an instance runs one invocation at a time).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localrun.httpserve import KeptConnection, read_body

NEXT_SUFFIX = "/invocation/next"
_SKIP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class RuntimeApiProxy:
    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.trace_header: str | None = None  # set by the instance before each invocation
        owner = self

        class Handler(_Handler):
            proxy = owner

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.address = f"{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="runtime-proxy", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    proxy: RuntimeApiProxy
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    _upstream: KeptConnection | None = None

    def _exchange(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """The request, sent on this runtime connection's own connection to the RIE, kept open as the runtime keeps
        its own (a new TCP connection for each /next and /response was ~0.5 ms of every invocation). Never retried:
        a /response may have been taken."""
        if self._upstream is None:
            self._upstream = KeptConnection(*self.proxy.upstream)
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _SKIP]
        # No timeout: /next waits for the next invocation.
        status, answer, data = self._upstream.exchange(self.command, self.path, headers, body, timeout=None)
        return status, [(k, v) for k, v in answer if k.lower() not in _SKIP], data

    def finish(self) -> None:
        if self._upstream is not None:
            self._upstream.close()
        super().finish()

    def _handle(self) -> None:
        body = read_body(self)
        try:
            status, out, data = self._exchange(body)
        except OSError:
            self.close_connection = True
            self.send_response_only(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        trace = self.proxy.trace_header
        if self.path.endswith(NEXT_SUFFIX) and trace:
            out = [(k, v) for k, v in out if k.lower() != "lambda-runtime-trace-id"]
            out.append(("Lambda-Runtime-Trace-Id", trace))
        self.send_response_only(status)
        for name, value in out:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _handle
