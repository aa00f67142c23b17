"""What the runner's two HTTP servers (the AWS endpoint and the REST API) share: reading a request's body."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


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
