"""The endpoint's forwarding: keep-alive connections to the backend, and a dropped idle connection is retried."""

from __future__ import annotations

import io
import socket
import threading
from types import SimpleNamespace

from localrun.gateway import Gateway
from localrun.instance import free_port
from localrun.journal import Journal


def _backend(close_after_each: bool) -> tuple[int, list[int]]:
    """A one-thread HTTP/1.1 backend answering 200 "ok"; records which connection each request came on."""
    server = socket.create_server(("127.0.0.1", 0))
    connections: list[int] = []

    def serve() -> None:
        n = 0
        while True:
            conn, _ = server.accept()
            n += 1
            with conn:
                while True:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    if not data:
                        break
                    connections.append(n)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    if close_after_each:  # an idle keep-alive connection the server dropped, without saying so
                        break

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1], connections


def _gateway(port: int) -> Gateway:
    control = SimpleNamespace(shadows=SimpleNamespace(arn_for=lambda fn: fn))
    return Gateway(("127.0.0.1", port), control, Journal(io.StringIO()), port=free_port())  # type: ignore[arg-type]


def test_calls_from_one_thread_reuse_one_connection() -> None:
    port, connections = _backend(close_after_each=False)
    gateway = _gateway(port)
    for _ in range(3):
        assert gateway.forward("POST", "/", [], b"{}")[0] == 200
    assert connections == [1, 1, 1]
    gateway.server.server_close()


def test_a_connection_the_backend_dropped_is_retried_on_a_new_one() -> None:
    port, connections = _backend(close_after_each=True)
    gateway = _gateway(port)
    answers = [gateway.forward("POST", "/", [], b"{}") for _ in range(3)]
    assert [a[0] for a in answers] == [200, 200, 200]
    assert [a[2] for a in answers] == [b"ok"] * 3
    assert connections == [1, 2, 3]
    gateway.server.server_close()
