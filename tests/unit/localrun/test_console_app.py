"""The console's pages over a trace store (no topology running): list, filters, a trace's timeline, full payloads."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

from localrun.console.app import ConsoleContext, create_app
from localrun.model import Function, Topology
from localrun.traces import TraceStore
from starlette.testclient import TestClient

FN = Function("S", "Fn", "S-Fn", "arn:aws:lambda:us-east-1:000000000000:function:S-Fn", "svc", "svc.handler")


def _client(store: TraceStore, topology: list[Topology] | None = None) -> TestClient:
    current = topology or [Topology(stacks=("S",), functions=(FN,))]
    ctx = ConsoleContext(
        current_topology=lambda: current[-1],
        mode="process",
        pools={},
        control=SimpleNamespace(),  # type: ignore[arg-type]
        traces=store,
        mover=SimpleNamespace(sources_of=lambda arn: []),  # type: ignore[arg-type]
        backend=SimpleNamespace(),  # type: ignore[arg-type]
        endpoint=SimpleNamespace(),  # type: ignore[arg-type]
        root=Path("."),
    )
    return TestClient(create_app(ctx))


def _store() -> TraceStore:
    store = TraceStore(keep=100)
    now = time.time()
    big = '{"x": "' + "a" * 5000 + '"}'
    store.record({"time": now, "corr": "t-ok", "kind": "http", "text": "GET /thing -> S-Fn"})
    store.record(
        {
            "time": now,
            "corr": "t-ok",
            "kind": "invoke",
            "text": "Fn ok",
            "function": "S-Fn",
            "ok": True,
            "cold": True,
            "duration_ms": 12.0,
            "input": big,
            "input_bytes": len(big),
            "logs": ["START", "hello"],
        }
    )
    store.record(
        {
            "time": now,
            "corr": "t-bad",
            "kind": "invoke",
            "text": "Fn failed",
            "function": "S-Fn",
            "ok": False,
            "attempt": 3,
            "attempts": 3,
        }
    )
    store.record({"time": now, "corr": "t-bad", "kind": "destination", "text": "Fn RetriesExhausted -> OnFailure"})
    return store


def test_the_topology_lists_the_functions_and_the_picture() -> None:
    client = _client(_store())
    page = client.get("/")
    assert page.status_code == 200 and "S-Fn" in page.text and 'lang="en"' in page.text
    assert client.get("/topology.svg").headers["content-type"].startswith("image/svg+xml")
    assert client.get("/static/htmx.min.js").status_code == 200


def test_the_topology_follows_the_runners_model_after_an_infra_change() -> None:
    # GIVEN a console started on a topology of one function
    models = [Topology(stacks=("S",), functions=(FN,))]
    client = _client(_store(), models)
    assert "S-Added" not in client.get("/").text
    # WHEN the runner applies a saved infra change that adds a function
    added = Function("S", "Added", "S-Added", FN.arn.replace("S-Fn", "S-Added"), "svc", "svc.handler")
    models.append(Topology(stacks=("S",), functions=(FN, added)))
    # THEN the console shows it without a restart
    assert "S-Added" in client.get("/").text


def test_the_trace_list_filters_by_status_function_and_text() -> None:
    client = _client(_store())
    everything = client.get("/traces/list").text
    assert "t-ok" in everything and "t-bad" in everything
    failed = client.get("/traces/list", params={"status": "failed"}).text
    assert "t-bad" in failed and "t-ok" not in failed
    assert "t-ok" in client.get("/traces/list", params={"q": "GET /thing"}).text
    assert "No traces" in client.get("/traces/list", params={"function": "other"}).text


def test_a_trace_shows_its_hops_with_truncated_payloads_and_a_way_to_see_all() -> None:
    client = _client(_store())
    page = client.get("/traces/t-ok").text
    assert "cold" in page and "12.0 ms" in page and "log lines (2)" in page and "see all" in page
    seq = _store().hops("t-ok")[1].seq
    full = client.get(f"/traces/t-ok/hops/{seq}/input")
    assert full.status_code == 200 and len(full.text) > 5000
    bad = client.get("/traces/t-bad").text
    assert "attempt 3 of 3" in bad and "RetriesExhausted" in bad
    assert client.get("/traces/nope/hops/1/input").status_code == 404


def test_the_store_says_when_it_dropped_hops() -> None:
    store = TraceStore(keep=1)
    for i in range(3):
        store.record({"corr": f"t{i}", "kind": "k", "text": "x"})
    assert "2 older hops were dropped" in _client(store).get("/traces").text
