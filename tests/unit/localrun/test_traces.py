"""The console's trace store: bounded, says what it dropped, filters, and links producers' ids to traces."""

from __future__ import annotations

import json
import threading
import time

from localrun.traces import (
    TraceStatus,
    TraceStore,
    ids_in_body,
    new_trace_id,
    trace_header,
    trace_id_from_header,
    trace_of_message,
)


def _hop(store: TraceStore, trace: str, kind: str = "invoke", **fields: object) -> None:
    store.record({"time": time.time(), "corr": trace, "kind": kind, "text": f"{kind} hop", **fields})


def test_the_store_keeps_the_last_n_hops_and_counts_the_dropped_ones() -> None:
    store = TraceStore(keep=3)
    for i in range(5):
        _hop(store, f"t{i}")
    assert store.dropped == 2
    assert [s.trace for s in store.summaries()] == ["t4", "t3", "t2"]
    assert store.hops("t0") == []


def test_lines_without_a_correlation_id_are_not_hops() -> None:
    store = TraceStore()
    store.record({"corr": "-", "kind": "esm", "text": "started"})
    assert store.summaries() == [] and store.version == 0


def test_status_filters_failed_retried_and_dead_lettered() -> None:
    store = TraceStore()
    _hop(store, "fine", ok=True, function="fnA")
    _hop(store, "retried", ok=False, function="fnB", attempt=1, attempts=3)
    _hop(store, "retried", kind="retry")
    _hop(store, "retried", ok=True, function="fnB", attempt=2, attempts=3)
    _hop(store, "dead", ok=False, function="fnB")
    _hop(store, "dead", kind="dlq", ok=False)
    names = lambda status: {s.trace for s in store.summaries(status)}  # noqa: E731
    assert names(TraceStatus.FAILED) == {"retried", "dead"}
    assert names(TraceStatus.RETRIED) == {"retried"}
    assert names(TraceStatus.DEAD_LETTERED) == {"dead"}
    assert names(TraceStatus.OK) == {"fine"}
    assert {s.trace for s in store.summaries(function="fna")} == {"fine"}
    assert {s.trace for s in store.summaries(text="dlq hop")} == {"dead"}


def test_the_xray_header_round_trips_the_trace_id() -> None:
    trace = new_trace_id()
    header = trace_header(trace)
    assert header.startswith("Root=1-") and header.endswith(";Sampled=1")
    assert trace_id_from_header(header) == trace
    assert trace_id_from_header("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8") == (
        "bd862e3fe1be46a994272793"
    )
    assert trace_id_from_header("nonsense") is None and trace_id_from_header(None) is None


def test_a_consumer_continues_the_trace_of_the_id_its_message_carries() -> None:
    store = TraceStore()
    store.link("event-1", "trace-a")
    store.link("s3://bucket/dir/a b.csv", "trace-b")
    event = json.dumps({"id": "event-1", "detail": {}})
    s3 = json.dumps({"Records": [{"s3": {"bucket": {"name": "bucket"}, "object": {"key": "dir/a+b.csv"}}}]})
    assert trace_of_message(store, "m1", event, {}) == "trace-a"
    assert trace_of_message(store, "m2", s3, {}) == "trace-b"
    assert "event-1" in ids_in_body(json.dumps({"Type": "Notification", "MessageId": "x", "Message": event}))
    # an unknown message starts a trace of its own, and keeps it when it comes back
    fresh = trace_of_message(store, "m3", "not json", {})
    assert fresh not in ("trace-a", "trace-b") and trace_of_message(store, "m3", "not json", {}) == fresh


def test_a_consumer_waits_for_the_link_of_a_producer_call_in_flight() -> None:
    # GIVEN a producer whose message is received before its answer's id is linked
    store = TraceStore()
    entered = threading.Event()

    def producer() -> None:
        with store.producing():
            entered.set()
            time.sleep(0.2)
            store.link("m1", "trace-p")

    threading.Thread(target=producer).start()
    entered.wait(2)
    # WHEN the consumer looks the message up THEN it gets the producer's trace
    assert trace_of_message(store, "m1", "{}", {}) == "trace-p"
