"""The AWS endpoint's loop: every request on one thread, and a request that would wait on a thread of its own.

What a client sees of it (framing, refusals, keep-alive) is tested with the thread-per-connection server's in
test_httpserve.py; here, what only the loop does."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from localrun.httploop import INLINE_BODY_BYTES, LoopHTTPServer, WouldBlock, must_not_wait
from localrun.httpserve import Answer, Received


class Owner:
    """Answers ``/slow`` only once ``release`` is set (raising WouldBlock first when on the loop), ``/big`` with
    ``big_bytes``, anything else at once; records the thread and whether it was the loop's."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.threads: dict[str, list[tuple[str, bool]]] = {}
        self.big_bytes = 8 << 20

    def __call__(self, received: Received) -> Answer:
        target = received.head.target
        self.threads.setdefault(target, []).append((threading.current_thread().name, must_not_wait()))
        if target == "/slow":
            if must_not_wait():
                raise WouldBlock
            self.release.wait(10)
        body = b"b" * self.big_bytes if target == "/big" else f"{target} {len(received.body)}".encode()
        return 200, [("Content-Type", "text/plain")], body


@pytest.fixture
def owner() -> Owner:
    return Owner()


@pytest.fixture
def port(owner: Owner) -> Iterator[int]:
    server = LoopHTTPServer(("127.0.0.1", 0), owner)
    thread = threading.Thread(target=server.serve_forever, name="loop", daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)
    assert not thread.is_alive()


def get(port: int, target: str, body: bytes = b"") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", target, body=body)
    resp = conn.getresponse()
    answer = resp.status, resp.read()
    conn.close()
    return answer


def test_requests_are_answered_on_the_loop_and_one_that_would_wait_holds_up_no_one(port: int, owner: Owner) -> None:
    # GIVEN a client whose request would wait
    slow: dict[str, tuple[int, bytes]] = {}
    waiting = threading.Thread(target=lambda: slow.setdefault("answer", get(port, "/slow")))
    waiting.start()
    deadline = time.monotonic() + 5
    while len(owner.threads.get("/slow", [])) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    # WHEN other clients call meanwhile
    answers = [get(port, f"/fast/{i}", b"x" * i) for i in range(3)]
    # THEN they are answered at once, on the loop
    assert answers == [(200, f"/fast/{i} {i}".encode()) for i in range(3)]
    assert {entry for i in range(3) for entry in owner.threads[f"/fast/{i}"]} == {("loop", True)}
    assert "answer" not in slow
    # AND the waiting request was asked on the loop, then again on a thread of its own where it may wait
    owner.release.set()
    waiting.join(10)
    assert slow["answer"] == (200, b"/slow 0")
    (first, on_loop), (second, waits) = owner.threads["/slow"]
    assert (first, on_loop) == ("loop", True) and second != "loop" and not waits


def test_a_connection_that_would_wait_goes_on_on_its_thread_with_what_it_sent_next(port: int, owner: Owner) -> None:
    owner.release.set()
    # WHEN a request that would wait and the next one come in one write
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        after = b"POST /after HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"
        sock.sendall(b"GET /slow HTTP/1.1\r\n\r\n" + after)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    # THEN both are answered in turn, the second on the first one's thread
    assert answer.count(b"HTTP/1.1 200 OK") == 2 and answer.endswith(b"/after 2")
    assert owner.threads["/after"][0][0] == owner.threads["/slow"][1][0]


def test_a_body_arriving_slowly_holds_up_no_one(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as slow:
        # WHEN a client sends its head and half its body
        slow.sendall(b"POST /trickle HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234")
        # THEN another client is answered meanwhile
        assert get(port, "/other") == (200, b"/other 0")
        # AND the first one once the rest arrives
        slow.sendall(b"56789")
        assert slow.recv(65536).endswith(b"/trickle 10")


def test_bodies_and_answers_the_loop_does_not_carry_itself_still_arrive_whole(port: int, owner: Owner) -> None:
    # a body over the loop's size (read by a thread), then on the same connection an answer of 8 MiB (which no
    # client takes in one go: a thread writes the rest)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/large", body=b"z" * (INLINE_BODY_BYTES + 1))
    resp = conn.getresponse()
    assert resp.read() == f"/large {INLINE_BODY_BYTES + 1}".encode()
    conn.request("GET", "/big")
    resp = conn.getresponse()
    assert len(resp.read()) == owner.big_bytes
    conn.close()
    assert owner.threads["/large"][0] != ("loop", True)
    assert get(port, "/after") == (200, b"/after 0")  # the loop went on


def test_only_the_loops_thread_must_not_wait(port: int, owner: Owner) -> None:
    # WHEN the loop has answered a request
    assert get(port, "/any") == (200, b"/any 0")
    # THEN its owner was told so there, and this thread, a client's, is not
    assert owner.threads["/any"] == [("loop", True)]
    assert not must_not_wait()


def test_a_client_still_sending_after_a_refused_head_gets_the_refusal_not_a_reset(port: int) -> None:
    # WHEN a client sends a head that cannot be read, then 8 MiB more in the same write
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n" + b"z" * (8 << 20))
        answer = sock.recv(65536)
    # THEN all of it was taken, and the 400 saying why arrives
    assert answer.startswith(b"HTTP/1.1 400 ") and b"bad request line" in answer
