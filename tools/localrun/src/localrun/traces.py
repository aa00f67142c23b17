"""Traces: every hop one request or event causes, under one trace id, kept in a bounded store.

The trace id is the journal's correlation id: every journal line with one becomes a hop. A trace starts at an API
request, a Lambda Invoke, or a producer call on the endpoint (PutEvents, SendMessage, Publish, PutObject) that
carries no ``X-Amzn-Trace-Id``; a function's own calls carry its invocation's header (botocore adds it inside
Lambda, see ``localrun.runtimeproxy``), and the ids AWS hands back (event ids, message ids, object keys) are linked
to the trace, so the consumer that later receives them continues it.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

TRACE_HEADER = "X-Amzn-Trace-Id"
DEFAULT_KEEP_HOPS = 10_000
_LINKS_KEPT = 50_000
_ROOT = re.compile(r"Root=1-[0-9a-fA-F]{8}-([0-9a-fA-F]{24})")
# Journal kinds that say where a trace ended badly, or that it went round again.
DEAD_LETTER_KINDS = frozenset({"dlq", "dead-letter"})
RETRY_KINDS = frozenset({"retry", "batch"})


_TRACE_IDS = random.Random()  # seeded from the OS once: trace ids need to be unique, not secret


def new_trace_id() -> str:
    """24 hex digits, the unique part of an X-Ray trace id. Drawn from a generator of its own: ``uuid4`` asks the
    OS for random bytes on every call (~20 us on this machine), and every producer call without a trace needs one."""
    return f"{_TRACE_IDS.getrandbits(96):024x}"


def trace_header(trace_id: str) -> str:
    """The X-Ray header AWS would send for this trace (the epoch part is only informative here)."""
    tid = trace_id if re.fullmatch(r"[0-9a-f]{24}", trace_id) else uuid.uuid5(uuid.NAMESPACE_OID, trace_id).hex[:24]
    return f"Root=1-{int(time.time()):08x}-{tid};Sampled=1"


def trace_id_from_header(value: str | None) -> str | None:
    match = _ROOT.search(value or "")
    return match.group(1).lower() if match else None


class TraceStatus(StrEnum):
    OK = "ok"
    RETRIED = "retried"
    FAILED = "failed"
    DEAD_LETTERED = "dead-lettered"


@dataclass(frozen=True)
class Hop:
    seq: int
    time: float
    trace: str
    kind: str
    text: str
    function: str | None = None
    ok: bool | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)  # duration_ms, attempt, cold, input, output, ...


@dataclass(frozen=True)
class TraceSummary:
    trace: str
    started: float
    ended: float
    hops: int
    functions: tuple[str, ...]
    first: str
    failed: bool
    retried: bool
    dead_lettered: bool

    @property
    def status(self) -> TraceStatus:
        if self.dead_lettered:
            return TraceStatus.DEAD_LETTERED
        if self.failed:
            return TraceStatus.FAILED
        if self.retried:
            return TraceStatus.RETRIED
        return TraceStatus.OK

    def has(self, status: TraceStatus) -> bool:
        return {
            TraceStatus.OK: not (self.failed or self.dead_lettered),
            TraceStatus.RETRIED: self.retried,
            TraceStatus.FAILED: self.failed,
            TraceStatus.DEAD_LETTERED: self.dead_lettered,
        }[status]


def summarise(trace: str, hops: list[Hop]) -> TraceSummary:
    functions = tuple(dict.fromkeys(h.function for h in hops if h.function))
    return TraceSummary(
        trace=trace,
        started=hops[0].time,
        ended=hops[-1].time,
        hops=len(hops),
        functions=functions,
        first=hops[0].text,
        failed=any(h.ok is False for h in hops),
        retried=any(h.kind in RETRY_KINDS or int(h.fields.get("attempt", 1)) > 1 for h in hops),
        dead_lettered=any(h.kind in DEAD_LETTER_KINDS for h in hops),
    )


class TraceStore:
    """The last ``keep`` hops (oldest dropped first, counted in ``dropped``) and the ids linked to their traces."""

    def __init__(self, keep: int = DEFAULT_KEEP_HOPS) -> None:
        self.keep = max(1, keep)
        self._hops: deque[Hop] = deque()
        self._by_trace: dict[str, list[Hop]] = {}
        self._links: OrderedDict[str, str] = OrderedDict()
        self._cv = threading.Condition()
        self._seq = 0
        self._producing = 0  # producer calls in flight whose answer's ids are not linked yet
        self.dropped = 0

    # -- recording ------------------------------------------------------------------------------------------
    def record(self, entry: Mapping[str, Any]) -> None:
        """A journal entry; the ones without a correlation id are not part of a trace."""
        trace = str(entry.get("corr") or "-")
        if trace == "-":
            return
        rest = {k: v for k, v in entry.items() if k not in ("time", "corr", "kind", "text", "function", "ok")}
        ok = entry.get("ok")
        with self._cv:
            self._seq += 1
            hop = Hop(
                self._seq,
                float(entry.get("time") or time.time()),
                trace,
                str(entry.get("kind", "")),
                str(entry.get("text", "")),
                str(entry["function"]) if entry.get("function") else None,
                ok if isinstance(ok, bool) else None,
                rest,
            )
            self._hops.append(hop)
            self._by_trace.setdefault(trace, []).append(hop)
            while len(self._hops) > self.keep:
                old = self._hops.popleft()
                self.dropped += 1
                left = self._by_trace.get(old.trace)
                if left:
                    left.pop(0)
                    if not left:
                        del self._by_trace[old.trace]
            self._cv.notify_all()

    def link(self, external_id: str, trace: str) -> None:
        """``external_id`` (an event id, a message id, ``s3://bucket/key``) belongs to ``trace``."""
        with self._cv:
            self._links[external_id] = trace
            self._links.move_to_end(external_id)
            while len(self._links) > _LINKS_KEPT:
                self._links.popitem(last=False)

    def linked(self, external_ids: Iterable[str | None]) -> str | None:
        with self._cv:
            return next((self._links[i] for i in external_ids if i and i in self._links), None)

    @contextmanager
    def producing(self) -> Iterator[None]:
        """Around a producer's call: a consumer may receive the message before the call's answer is linked."""
        self.start_producing()
        try:
            yield
        finally:
            self.done_producing()

    def start_producing(self) -> None:
        """A producer's call begins: consumers wait for links until :meth:`done_producing` (called once, always)."""
        with self._cv:
            self._producing += 1

    def done_producing(self) -> None:
        with self._cv:
            self._producing -= 1
            self._cv.notify_all()

    def linked_wait(self, external_ids: Iterable[str | None], timeout_s: float = 1.0) -> str | None:
        """:meth:`linked`, waiting (at most ``timeout_s``) while producer calls are in flight."""
        ids = [i for i in external_ids if i]
        with self._cv:
            found: list[str] = []

            def ready() -> bool:
                hit = next((self._links[i] for i in ids if i in self._links), None)
                if hit is not None:
                    found.append(hit)
                return hit is not None or self._producing == 0

            self._cv.wait_for(ready, timeout_s)
            return found[0] if found else None

    # -- reading --------------------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self._seq

    def wait_for_change(self, seen: int, timeout_s: float) -> int:
        with self._cv:
            self._cv.wait_for(lambda: self._seq != seen, timeout_s)
            return self._seq

    def hops(self, trace: str) -> list[Hop]:
        with self._cv:
            return list(self._by_trace.get(trace, ()))

    def summaries(
        self,
        status: TraceStatus | None = None,
        function: str = "",
        text: str = "",
        limit: int = 200,
    ) -> list[TraceSummary]:
        """The newest traces first, filtered by status, a function (part of its name) and a text in any hop."""
        with self._cv:
            traces = [(t, list(h)) for t, h in self._by_trace.items()]
        traces.sort(key=lambda item: item[1][-1].seq, reverse=True)
        out: list[TraceSummary] = []
        needle = text.lower()
        for trace, hops in traces:
            summary = summarise(trace, hops)
            if status is not None and not summary.has(status):
                continue
            if function and not any(function.lower() in f.lower() for f in summary.functions):
                continue
            if needle and not (needle in trace or any(needle in _searchable(h) for h in hops)):
                continue
            out.append(summary)
            if len(out) >= limit:
                break
        return out


def _searchable(hop: Hop) -> str:
    return (hop.text + " " + json.dumps(dict(hop.fields), default=str)).lower()


def ids_in_body(body: str) -> list[str]:
    """The ids a message body carries that a producer's call may have been linked to: an EventBridge event's
    ``id``, an SNS notification's ``MessageId``, S3 records' objects, a destination record's request id."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    found = [str(data[k]) for k in ("id", "MessageId") if data.get(k)]
    context = data.get("requestContext")
    if isinstance(context, dict) and context.get("requestId"):
        found.append(str(context["requestId"]))
    if isinstance(data.get("Message"), str):  # SNS wrapping an S3 or EventBridge body
        found += ids_in_body(data["Message"])
    records = data.get("Records")
    if isinstance(records, list):
        for record in records:
            s3 = record.get("s3") if isinstance(record, dict) else None
            if isinstance(s3, dict):
                found.append(s3_link(str(s3.get("bucket", {}).get("name")), str(s3.get("object", {}).get("key"))))
    return found


def s3_link(bucket: str, key: str) -> str:
    from urllib.parse import unquote_plus

    return f"s3://{bucket}/{unquote_plus(key)}"


def trace_of_message(store: TraceStore, message_id: str, body: str, attributes: Mapping[str, str]) -> str:
    """The trace a received message belongs to (its AWSTraceHeader, or a linked id), else a new one."""
    header = trace_id_from_header(attributes.get("AWSTraceHeader"))
    trace = header or store.linked_wait([message_id, *ids_in_body(body)])
    if trace is None:
        trace = new_trace_id()
        store.link(message_id, trace)
    return trace
