"""Keep several batches in flight: SendMessageBatch is network-bound, parsing the next rows is not.

A few requests in flight multiply ingest throughput (and so the largest file one invocation can take before its
timeout) while memory stays bounded: at most ``max_in_flight`` batches are held, and the reader waits when they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from inventory_ingest.models.inventory import InventoryUpdateMessage
from inventory_ingest.ports import UpdatePublisher


class ConcurrentPublisher:
    """Runs ``inner.publish`` on a small thread pool (boto3 clients are thread-safe; resources are not).

    The first failure is raised from the next :meth:`publish` or from :meth:`flush`, after the batches already in
    flight have finished (their messages are harmless duplicates when the invocation is retried).
    """

    def __init__(self, inner: UpdatePublisher, max_in_flight: int = 8) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.max_batch = inner.max_batch
        self._inner = inner
        self._max_in_flight = max_in_flight
        self._pool = ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="publish")
        self._in_flight: set[Future[None]] = set()

    def publish(self, messages: Sequence[InventoryUpdateMessage]) -> None:
        self._reap(block=len(self._in_flight) >= self._max_in_flight)
        self._in_flight.add(self._pool.submit(self._inner.publish, list(messages)))

    def flush(self) -> None:
        wait(self._in_flight)
        self._reap(block=False)
        self._inner.flush()

    def _reap(self, *, block: bool) -> None:
        if block:
            wait(self._in_flight, return_when=FIRST_COMPLETED)
        done = {f for f in self._in_flight if f.done()}
        self._in_flight -= done
        errors = [e for e in (f.exception() for f in done) if e is not None]
        if errors:
            # Settle everything before raising, so nothing from this object leaks into the next invocation.
            wait(self._in_flight)
            self._in_flight.clear()
            raise errors[0]
