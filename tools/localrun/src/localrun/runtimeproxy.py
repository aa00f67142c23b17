"""Carries the invocation's X-Ray header into the function, as Lambda does and the RIE does not.

On Lambda the runtime API's ``/invocation/next`` answer has ``Lambda-Runtime-Trace-Id``; awslambdaric puts it in
``_X_AMZN_TRACE_ID``, and botocore then sends it as ``X-Amzn-Trace-Id`` on every AWS call the function makes. The
RIE ignores the header it is invoked with, so each instance's runtime talks to the RIE through this small proxy,
which adds the header of the invocation in flight (an instance runs one invocation at a time).
"""

from __future__ import annotations

import threading

from localrun.httpserve import Answer, KeptConnection, LeanHTTPServer, Received

NEXT_SUFFIX = "/invocation/next"
_SKIP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class RuntimeApiProxy:
    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.trace_header: str | None = None  # set by the instance before each invocation
        # LeanHTTPServer answers each connection on a thread of its own, so a thread's upstream connection is the
        # runtime connection's own (dropped with the thread when the runtime closes it).
        self._upstreams = threading.local()
        self.server = LeanHTTPServer((host, 0), self.respond)
        self.address = f"{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="runtime-proxy", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def respond(self, received: Received) -> Answer:
        head = received.head
        try:
            status, out, data = self._exchange(received)
        except OSError:  # the RIE is gone or dropped the connection: the runtime sees a failed call, not a hang
            return 502, [], b""
        trace = self.trace_header
        if head.target.endswith(NEXT_SUFFIX) and trace:
            out = [(k, v) for k, v in out if k.lower() != "lambda-runtime-trace-id"]
            out.append(("Lambda-Runtime-Trace-Id", trace))
        return status, out, data

    def _exchange(self, received: Received) -> Answer:
        """The request, sent on this runtime connection's own connection to the RIE, kept open as the runtime keeps
        its own (a new TCP connection for each /next and /response was ~0.5 ms of every invocation). Never retried:
        a /response may have been taken."""
        upstream: KeptConnection | None = getattr(self._upstreams, "connection", None)
        if upstream is None:
            upstream = self._upstreams.connection = KeptConnection(*self.upstream)
        head = received.head
        headers = [(k, v) for k, v in head.headers if k.lower() not in _SKIP]
        # No timeout: /next waits for the next invocation.
        status, answer, data = upstream.exchange(head.method, head.target, headers, received.body, timeout=None)
        return status, [(k, v) for k, v in answer if k.lower() not in _SKIP], data
