"""The lean keep-alive servers (a thread per connection; the AWS endpoint's loop): what a client sees is what
http.server would give it."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

import pytest
from localrun.httploop import LoopHTTPServer
from localrun.httpserve import Answer, LeanHTTPServer, Received, RequestHead, Responder

Seen = list[tuple[RequestHead, bytes]]


class Server(Protocol):
    server_address: tuple[str, int]

    def serve_forever(self) -> None: ...
    def shutdown(self) -> None: ...
    def server_close(self) -> None: ...


MakeServer = Callable[[Responder], Server]


@pytest.fixture(params=[LeanHTTPServer, LoopHTTPServer], ids=["thread-per-connection", "loop"])
def make_server(request: pytest.FixtureRequest) -> MakeServer:
    def make(respond: Responder) -> Server:
        server: Server = request.param(("127.0.0.1", 0), respond)
        return server

    return make


@pytest.fixture
def served(make_server: MakeServer) -> Iterator[tuple[int, Seen]]:
    """A server echoing each request's method, target and body length; the heads and bodies it was given."""
    seen: Seen = []

    def respond(received: Received) -> Answer:
        head, body = received.head, received.body
        seen.append((head, body))
        if head.target == "/fail":
            raise RuntimeError("the owner's bug")
        data = json.dumps({"method": head.method, "target": head.target, "length": len(body)}).encode()
        return 200, [("Content-Type", "application/json"), ("X-Custom", "kept")], data

    server = make_server(respond)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


def exchange(port: int, raw: bytes) -> bytes:
    """Everything the server sends back for ``raw`` until it closes the connection (or 5 s pass)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_requests_on_one_connection_are_answered_in_turn_with_their_headers_and_bodies(
    served: tuple[int, Seen],
) -> None:
    port, seen = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for i in range(3):
        conn.request("POST", f"/q/{i}?a=1", body=b"x" * i, headers={"X-Amz-Target": "AmazonSQS.SendMessage"})
        resp = conn.getresponse()
        assert (resp.status, resp.getheader("X-Custom")) == (200, "kept")
        assert json.loads(resp.read()) == {"method": "POST", "target": f"/q/{i}?a=1", "length": i}
    sock = conn.sock
    conn.close()
    assert sock is not None  # one connection served all three
    head = seen[0][0]
    assert head.value("x-amz-target") == "AmazonSQS.SendMessage"  # looked up whatever the spelling
    assert ("X-Amz-Target", "AmazonSQS.SendMessage") in head.headers  # passed on as sent


def test_a_chunked_body_and_an_expect_100_continue_are_read_whole(served: tuple[int, Seen]) -> None:
    port, seen = served
    raw = (
        b"PUT /bucket/key HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
        b"Connection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    answer = exchange(port, raw)
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
    assert seen[0][1] == b"abcde"


def test_a_head_request_gets_the_headers_without_the_body(served: tuple[int, Seen]) -> None:
    port, _ = served
    answer = exchange(port, b"HEAD /bucket/key HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"Content-Length: " in head
    assert body == b""


@pytest.mark.parametrize(
    ("request_head", "keeps"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
        (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", True),
    ],
)
def test_the_connection_stays_open_as_http_says(served: tuple[int, Seen], request_head: bytes, keeps: bool) -> None:
    port, seen = served
    # WHEN the same request is sent twice on one connection
    answer = exchange(port, request_head * 2)
    # THEN the second is answered only when the first kept the connection open
    assert answer.count(b"HTTP/1.1 200 OK") == (2 if keeps else 1)
    assert (b"Connection: close" in answer) == (not keeps)
    assert len(seen) == (2 if keeps else 1)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET / HTTP/2.0\r\n\r\n", b"505"),
        (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(101)) + b"\r\n", b"431"),
        (b"GET / HTTP/1.1\r\nX-Long: " + b"v" * 70000 + b"\r\n\r\n", b"431"),
        (b"GET /" + b"p" * 70000 + b" HTTP/1.1\r\n\r\n", b"414"),
        (b"POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n", b"400"),
        (b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort", b"400"),
    ],
)
def test_a_request_that_cannot_be_read_is_refused_with_a_reason_and_the_connection_closed(
    served: tuple[int, Seen], raw: bytes, status: bytes
) -> None:
    port, seen = served
    answer = exchange(port, raw)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == status
    assert b"Connection: close" in head
    assert json.loads(body)["message"]  # says why
    assert seen == []  # the owner never saw it


def test_a_folded_header_continues_the_previous_one_and_a_scheme_relative_path_is_not_kept(
    served: tuple[int, Seen],
) -> None:
    port, seen = served
    exchange(port, b"GET //evil/path HTTP/1.1\r\nX-Folded: one\r\n two\r\nConnection: close\r\n\r\n")
    head = seen[0][0]
    assert head.value("X-Folded") == "one two"
    assert head.target == "/evil/path"  # as http.server


def test_a_failing_owner_gets_a_500_without_its_trace_and_the_server_goes_on(served: tuple[int, Seen]) -> None:
    port, _ = served
    # WHEN the owner raises
    answer = exchange(port, b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
    # THEN the client gets a 500 saying no more than that, and the connection ends
    assert answer.startswith(b"HTTP/1.1 500 Internal Server Error\r\n") and b"Connection: close" in answer
    assert answer.endswith(b'{"message": "internal error"}')
    # AND the next connection is served
    assert exchange(port, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 200 OK")


def test_a_body_over_the_servers_limit_is_refused_and_a_silent_client_is_answered_after_its_timeout() -> None:
    # GIVEN a server taking bodies of up to 10 bytes and connections silent for up to 0.3 s
    got: list[Received] = []

    def respond(received: Received) -> Answer:
        got.append(received)
        return 200, [], b""

    server = LeanHTTPServer(("127.0.0.1", 0), respond, max_body_bytes=10, timeout_s=0.3)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        # WHEN bodies over the limit come, declared or chunked
        declared = exchange(port, b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n")
        chunked = exchange(port, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nghijkl\r\n")
        # THEN each is refused with 413 (the declared one from its header alone)
        assert declared.startswith(b"HTTP/1.1 413 ") and chunked.startswith(b"HTTP/1.1 413 ")
        # WHEN a client declares 5 bytes, sends 2 and goes silent without closing
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab")
            answer = sock.recv(65536)
        # THEN it is answered 400 once the timeout passes
        assert answer.startswith(b"HTTP/1.1 400 ") and b"0.3 s" in answer
        # AND a body at the limit reaches the owner, with the client's address
        assert (
            exchange(port, b"POST / HTTP/1.1\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789")[:15]
            == b"HTTP/1.1 200 OK"
        )
        assert [(r.body, r.client) for r in got] == [(b"0123456789", "127.0.0.1")]
    finally:
        server.shutdown()
        server.server_close()


def test_what_the_owner_leaves_until_after_its_answer_runs_before_the_next_request_even_after_a_failure(
    make_server: MakeServer,
) -> None:
    events: list[str] = []
    client_has_answer = threading.Event()

    def respond(received: Received) -> Answer:
        target = received.head.target
        events.append(f"respond {target}")
        if target == "/waits":  # its leftover waits until the client has read the answer (never, were it first)
            received.after.append(lambda: events.append(f"answered first: {client_has_answer.wait(5)}"))
        received.after.append(lambda: events.append(f"after {target}"))
        if target == "/fail":
            raise RuntimeError("the owner's bug")
        return 200, [], b""

    server = make_server(respond)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        # WHEN two requests come on one connection, then one whose owner fails
        answers = exchange(port, b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n")
        failed = exchange(port, b"GET /fail HTTP/1.1\r\n\r\n")
        # AND one whose leftover waits for the client to have its answer
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /waits HTTP/1.1\r\nConnection: close\r\n\r\n")
            waited = sock.recv(65536)
            client_has_answer.set()
            while sock.recv(65536):
                pass
    finally:
        server.shutdown()
        server.server_close()
    # THEN each request's leftovers ran after its answer was written, before the next request was read, the failed
    # one's too
    assert answers.count(b"HTTP/1.1 200 OK") == 2 and failed.startswith(b"HTTP/1.1 500")
    assert waited.startswith(b"HTTP/1.1 200 OK")
    assert events == [
        "respond /a",
        "after /a",
        "respond /b",
        "after /b",
        "respond /fail",
        "after /fail",
        "respond /waits",
        "answered first: True",
        "after /waits",
    ]


def test_a_client_still_sending_a_refused_body_gets_the_refusal_not_a_reset() -> None:
    # GIVEN a server taking bodies of up to 10 bytes
    server = LeanHTTPServer(("127.0.0.1", 0), lambda received: (200, [], b""), max_body_bytes=10)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    chunk = b"%x\r\n" % (1 << 20) + b"y" * (1 << 20) + b"\r\n"
    try:
        # WHEN a client sends 8 MiB of chunked body in one go, more than the connection buffers hold
        with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=10) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 8)
            answer = sock.recv(65536)
    finally:
        server.shutdown()
        server.server_close()
    # THEN all of it was taken and the 413 sent before it arrives in full
    assert answer.startswith(b"HTTP/1.1 413 ")
