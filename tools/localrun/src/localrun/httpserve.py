"""What the runner's HTTP servers and clients share: reading a request's body; a client connection kept open."""

from __future__ import annotations

import http.client
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler

# An HTTP answer as the runner passes it around: (status, headers, body).
Answer = tuple[int, list[tuple[str, str]], bytes]


class BodyError(Exception):
    """A request body that cannot be read as framed: answered at once with ``status``, and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def read_body(handler: BaseHTTPRequestHandler, max_bytes: int | None = None) -> bytes:
    """The request body, framed by Content-Length or chunked; :class:`BodyError` for a body that is malformed
    (400: a Content-Length that is not a number, several that disagree, both framings, a short body) or over
    ``max_bytes`` (413, refused from the header alone when it declares the size)."""
    lengths = {v.strip() for v in handler.headers.get_all("Content-Length") or []}
    chunked = (handler.headers.get("Transfer-Encoding") or "").lower() == "chunked"
    if chunked and lengths:
        raise BodyError(400, "both Content-Length and Transfer-Encoding: chunked")
    if chunked:
        return _read_chunks(handler, max_bytes)
    if len(lengths) > 1:
        raise BodyError(400, "conflicting Content-Length headers")
    raw = lengths.pop() if lengths else "0"
    if not (raw.isascii() and raw.isdigit()):
        raise BodyError(400, f"invalid Content-Length {raw[:40]!r}")
    length = int(raw)
    if max_bytes is not None and length > max_bytes:
        raise BodyError(413, "Request Too Long")
    try:
        data = handler.rfile.read(length) if length else b""
    except TimeoutError:  # the handler's socket timeout: the client stopped sending
        raise BodyError(400, f"body not received within {handler.timeout} s") from None
    if len(data) < length:
        raise BodyError(400, f"body ended after {len(data)} of {length} bytes")
    return data


def _read_chunks(handler: BaseHTTPRequestHandler, max_bytes: int | None) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        line = handler.rfile.readline(1024).strip().split(b";")[0]
        try:
            size = int(line, 16)
        except ValueError:
            raise BodyError(400, "malformed chunk size") from None
        if size == 0:
            while handler.rfile.readline(8192).strip():
                pass
            return b"".join(chunks)
        total += size
        if size < 0 or (max_bytes is not None and total > max_bytes):
            raise BodyError(413 if size > 0 else 400, "Request Too Long" if size > 0 else "malformed chunk size")
        chunks.append(handler.rfile.read(size))
        handler.rfile.readline()


def write_answer(
    handler: BaseHTTPRequestHandler, status: int, headers: Sequence[tuple[str, str]], body: bytes, *, close: bool
) -> None:
    """The whole answer in one write: with the head and the body in two, the client woke up for each, ~40% of a
    simple call's time in the endpoint. ``headers`` carry the framing (Content-Length); ``close`` ends the
    connection after this answer."""
    reason = handler.responses.get(status, ("",))[0]
    lines = [f"{handler.protocol_version} {status} {reason}\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in headers]
    if close:
        handler.close_connection = True
        lines.append("Connection: close\r\n")
    lines.append("\r\n")
    handler.wfile.write("".join(lines).encode("latin-1") + body)


class KeptConnection:
    """One HTTP/1.1 client connection kept open from request to request (one at a time): a TCP connection per
    request cost about as much as the work behind a simple call. Any failure, or an answer saying the server closes,
    drops it; the next request opens a new one. The caller's headers go as given (Host included, if given), with the
    body's Content-Length; framing headers are the caller's to leave out."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._conn: http.client.HTTPConnection | None = None

    def exchange(
        self, method: str, path: str, headers: Sequence[tuple[str, str]], body: bytes, *, timeout: float | None
    ) -> Answer:
        """The answer. Never sent twice: a connection the server dropped is an error."""
        try:
            return self._send(method, path, headers, body, timeout)
        except BaseException:
            self.close()
            raise

    def _send(
        self, method: str, path: str, headers: Sequence[tuple[str, str]], body: bytes, timeout: float | None
    ) -> Answer:
        conn = self._conn
        if conn is None:
            conn = self._conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        else:
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
        has_host = any(name.lower() == "host" for name, _ in headers)
        conn.putrequest(method, path, skip_host=has_host, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        if resp.will_close:
            self.close()
        return resp.status, resp.getheaders(), data

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
