"""The concurrent publisher: everything is sent, never more than N batches at once, and failures surface."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from inventory_ingest.adapters.concurrent import ConcurrentPublisher
from inventory_ingest.models.inventory import InventoryUpdateMessage, SourceLine


def message(line: int) -> InventoryUpdateMessage:
    return InventoryUpdateMessage(
        product_id=f"P{line}", location="A", quantity=1, update_date="2023-05-01", idempotency_key=f"k:{line}",
        source=SourceLine(bucket="b", key="k", version="v", line=line),
    )  # fmt: skip


class GatedPublisher:
    """Blocks every publish until released, counting how many run at once."""

    max_batch = 10

    def __init__(self, fail_line: int | None = None) -> None:
        self.lock = threading.Lock()
        self.gate = threading.Semaphore(0)
        self.running = 0
        self.peak = 0
        self.sent: list[int] = []
        self.fail_line = fail_line
        self.flushed = False

    def publish(self, messages: Sequence[InventoryUpdateMessage]) -> None:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        self.gate.acquire()
        with self.lock:
            self.running -= 1
            if self.fail_line in [m.source.line for m in messages]:
                raise RuntimeError(f"batch with line {self.fail_line} refused")
            self.sent += [m.source.line for m in messages]

    def flush(self) -> None:
        self.flushed = True


def feed(publisher: ConcurrentPublisher, inner: GatedPublisher, batches: int) -> None:
    """Publish from another thread while releasing the gate one batch at a time from this one."""
    errors: list[BaseException] = []

    def producer() -> None:
        try:
            for b in range(batches):
                publisher.publish([message(b * 10 + i + 1) for i in range(10)])
            publisher.flush()
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    thread = threading.Thread(target=producer)
    thread.start()
    for _ in range(batches):
        inner.gate.release()
    thread.join()
    if errors:
        raise errors[0]


def test_every_message_is_sent_with_at_most_n_batches_in_flight() -> None:
    # GIVEN a publisher allowing 3 batches in flight over a slow queue
    inner = GatedPublisher()
    publisher = ConcurrentPublisher(inner, max_in_flight=3)
    # WHEN 40 batches are published and flushed
    feed(publisher, inner, 40)
    # THEN all 400 messages went out, never more than 3 batches at a time, and the inner publisher was flushed
    assert sorted(inner.sent) == list(range(1, 401))
    assert 1 <= inner.peak <= 3
    assert inner.flushed


def test_a_failed_batch_fails_the_publishing_and_leaves_nothing_pending() -> None:
    # GIVEN a queue that refuses the batch holding line 55
    inner = GatedPublisher(fail_line=55)
    publisher = ConcurrentPublisher(inner, max_in_flight=2)
    # WHEN 10 batches are published THEN the failure surfaces
    with pytest.raises(RuntimeError, match="line 55 refused"):
        feed(publisher, inner, 10)
    # AND the publisher is clean for the next invocation
    for _ in range(10):
        inner.gate.release()
    publisher.flush()


def test_max_in_flight_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ConcurrentPublisher(GatedPublisher(), max_in_flight=0)
