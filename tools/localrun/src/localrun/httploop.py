"""The AWS endpoint's HTTP server: every request answered on one thread, as the fastest single-process emulators do.

With a thread per connection (``LeanHTTPServer``), a call on one connection right after an answer on another
(an SDK's SQS client receiving what its EventBridge client just put) met the thread that wrote that answer still
wanting the GIL back: on this 2-core machine the writer was often pushed off its CPU by the client it woke, and the
two threads handed the GIL over twice in the middle of the next call (measured: the write of a PutEvents answer took
0.6-1.0 ms, and the receive after it 1.15-1.25x ministack's; on one thread, 1.03-1.11x). A long poll or a function's
run must not hold up every other client, so the owner of a request that would wait raises :class:`WouldBlock`, and
the connection goes on on a thread of its own, as it would on ``LeanHTTPServer``. So does any connection that sends
what this loop does not read itself: a chunked body, ``Expect: 100-continue``, a body over 1 MiB, a head over
64 KiB, or an answer the client does not take at once.
"""

from __future__ import annotations

import io
import selectors
import socket
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from localrun.httpserve import (
    MAX_LINE_BYTES,
    Exchanges,
    HeadError,
    Received,
    RequestHead,
    Responder,
    answer_to,
    close_after_client,
    read_head,
    refusal,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

INLINE_BODY_BYTES = 1 << 20  # a longer body is read on a thread of its own
_STRAY = (b"\r\n", b"\n")  # line ends before a request line are tolerated (RFC 9112, 2.2)
_loop = threading.local()


class WouldBlock(BaseException):  # noqa: N818 - a signal, not an error
    """Raised by a request's owner answering on the loop's thread (:func:`must_not_wait`) when answering would wait:
    the request is answered again on a thread of its own. A BaseException, so that no handler for errors between the
    owner's code and the loop (moto's, Flask's, the owner's own) turns it into an error answer."""


def must_not_wait() -> bool:
    """Whether the calling thread is a loop's: its requests' owners must raise :class:`WouldBlock` before waiting."""
    return getattr(_loop, "active", False)


@dataclass(eq=False)
class _Connection:
    sock: socket.socket
    client: str
    buffer: bytearray = field(default_factory=bytearray)
    head: RequestHead | None = None  # of the request whose body is still arriving
    body_at: int = 0
    length: int = 0


class LoopHTTPServer:
    """HTTP/1.1 with connections kept open, their requests answered in turn on the thread running
    :meth:`serve_forever`; :class:`localrun.httpserve.LeanHTTPServer`'s behaviour for everything a client sees (with
    no body limit and no silence timeout)."""

    def __init__(self, address: tuple[str, int], respond: Responder) -> None:
        self.respond = respond
        self.socket = socket.create_server(address)
        self.socket.setblocking(False)
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._connections: set[_Connection] = set()
        self._stopping = False
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        _loop.active = True
        self._selector.register(self.socket, selectors.EVENT_READ)
        self._selector.register(self._wake_reader, selectors.EVENT_READ)
        try:
            while not self._stopping:
                for key, _ in self._selector.select():
                    if key.fileobj is self.socket:
                        self._accept()
                    elif key.fileobj is self._wake_reader:
                        self._wake_reader.recv(64)
                    else:
                        self._serve(key.data)
        finally:
            for connection in list(self._connections):
                self._close(connection)
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` (called from another thread) and wait until it has; connections it handed to
        threads of their own go on until they end."""
        self._stopping = True
        self._wake_writer.send(b"x")
        self._stopped.wait()

    def server_close(self) -> None:
        self._selector.close()
        self.socket.close()
        self._wake_reader.close()
        self._wake_writer.close()

    # -- the loop ---------------------------------------------------------------------------------------------------
    def _accept(self) -> None:
        try:
            sock, address = self.socket.accept()
        except OSError:  # gone before it was accepted, or out of file descriptors: as socketserver, try again later
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # an answer is one write
        connection = _Connection(sock, str(address[0]))
        self._connections.add(connection)
        self._selector.register(sock, selectors.EVENT_READ, connection)

    def _serve(self, connection: _Connection) -> None:
        try:
            self._readable(connection)
        except Exception as exc:  # noqa: BLE001 - a bug here ends this connection, never the endpoint
            sys.stderr.write(f"localrun: endpoint connection from {connection.client}: {exc!r}\n")
            self._close(connection)

    def _readable(self, connection: _Connection) -> None:
        try:
            data = connection.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the client is done sending: what it sent of a request is read (and refused) as a thread would
            if connection.buffer:
                self._hand_over(connection)
            else:
                self._close(connection)
            return
        connection.buffer += data
        while connection in self._connections and self._next_request(connection):
            pass

    def _next_request(self, connection: _Connection) -> bool:
        """Answer the next request the buffer holds whole; whether to look for another."""
        buffer = connection.buffer
        if connection.head is None:
            while buffer.startswith(_STRAY):
                del buffer[: 2 if buffer[0] == 13 else 1]
            ends = [i + n for i, n in ((buffer.find(b"\n\r\n"), 3), (buffer.find(b"\n\n"), 2)) if i >= 0]
            if not ends:
                if len(buffer) > MAX_LINE_BYTES:
                    self._hand_over(connection)  # a head this long is read (or refused) as a thread reads it
                return False
            end = min(ends)
            try:
                head = read_head(io.BytesIO(buffer[:end]))
            except HeadError as exc:
                self._refuse(connection, exc.status, exc.message)
                return False
            if head is None or not self._reads_body(connection, head):
                self._hand_over(connection)
                return False
            connection.head, connection.body_at = head, end
        if len(buffer) < connection.body_at + connection.length:
            return False  # the body is still arriving
        head, end = connection.head, connection.body_at + connection.length
        body = bytes(buffer[connection.body_at : end])
        del buffer[:end]
        connection.head = None
        return self._answer(connection, Received(head, body, connection.client))

    @staticmethod
    def _reads_body(connection: _Connection, head: RequestHead) -> bool:
        """Whether the loop reads this request's body itself (one Content-Length of at most 1 MiB, or none), noting
        its length; any other framing is read by a thread."""
        if head.value("Transfer-Encoding") is not None or head.value("Expect") is not None:
            return False
        lengths = head.values("Content-Length")
        raw = lengths[0].strip() if lengths else "0"
        if len(lengths) > 1 or not (raw.isascii() and raw.isdigit()):
            return False
        connection.length = int(raw)
        return connection.length <= INLINE_BODY_BYTES

    def _answer(self, connection: _Connection, received: Received) -> bool:
        try:
            message, keep = answer_to(self.respond, received)
        except WouldBlock:
            self._hand_over(connection, first=Received(received.head, received.body, received.client))
            return False
        try:
            sent = connection.sock.send(message)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._close(connection)
            self._after(received)
            return False
        if sent < len(message):  # the client does not take it all at once: a thread writes the rest
            self._hand_over(connection, unsent=(message[sent:], received, keep))
            return False
        self._after(received)
        if not keep:
            self._close(connection)
        return keep

    @staticmethod
    def _after(received: Received) -> None:
        for task in received.after:
            try:
                task()
            except Exception as exc:  # noqa: BLE001 - bookkeeping after an answer must not end the loop
                sys.stderr.write(f"localrun: after an answer: {exc!r}\n")

    def _refuse(self, connection: _Connection, status: int, message: str) -> None:
        try:
            connection.sock.send(refusal(status, message))
        except OSError:
            pass
        self._connections.discard(connection)
        self._selector.unregister(connection.sock)
        connection.sock.setblocking(True)
        # what the client still sends is read (and dropped) off the loop, so that it gets the refusal, not a reset
        threading.Thread(target=close_after_client, args=(connection.sock,), daemon=True).start()

    def _close(self, connection: _Connection) -> None:
        self._connections.discard(connection)
        try:
            self._selector.unregister(connection.sock)
        except (KeyError, ValueError):
            pass
        connection.sock.close()

    # -- a connection on a thread of its own ------------------------------------------------------------------------
    def _hand_over(
        self,
        connection: _Connection,
        *,
        first: Received | None = None,
        unsent: tuple[bytes, Received, bool] | None = None,
    ) -> None:
        """The connection goes on on a thread of its own: first the rest of an answer (``unsent``: what is left of
        it, its request, whether the connection stays open) or a request to answer (``first``), then whatever the
        connection sends next, starting with what the loop has read of it."""
        self._connections.discard(connection)
        self._selector.unregister(connection.sock)
        connection.sock.setblocking(True)
        args = (connection, bytes(connection.buffer), first, unsent)
        threading.Thread(target=self._threaded, args=args, name="endpoint-connection", daemon=True).start()

    def _threaded(
        self,
        connection: _Connection,
        prefix: bytes,
        first: Received | None,
        unsent: tuple[bytes, Received, bool] | None,
    ) -> None:
        sock = connection.sock
        rfile = io.BufferedReader(_Prefixed(prefix, sock))
        exchanges = Exchanges(rfile, sock.sendall, connection.client, self.respond, None, None)
        try:
            if unsent is not None:
                rest, received, keep = unsent
                try:
                    sock.sendall(rest)
                finally:
                    self._after(received)
                if not keep:
                    return
            if first is not None and not exchanges.answer(first):
                return
            exchanges.serve()
        except (ConnectionError, TimeoutError):
            pass
        finally:
            close_after_client(sock)


class _Prefixed(io.RawIOBase):
    """A socket's stream, starting with what was read from it before."""

    def __init__(self, prefix: bytes, sock: socket.socket) -> None:
        self._prefix = memoryview(prefix)
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._prefix:
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        return self._sock.recv_into(view)
