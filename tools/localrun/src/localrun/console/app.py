"""The console's pages: topology, traces, queues and DLQs (redrive, purge), driving the system, data.

Read from the runner's own model and control plane (``ConsoleContext``); anything the console sends (invoke, put
event, send, upload) goes through the same paths a user's SDK call would, so it gets a trace like any other.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from localrun.console.html import badge, dl, e, link, page, pre, table, url
from localrun.drawing import render_svg
from localrun.model import ACCOUNT_ID, Function, Queue, Topology, function_name_from_arn
from localrun.traces import Hop, TraceStatus, TraceStore, new_trace_id

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_sqs.literals import QueueAttributeFilterType

    from localrun.aws import BackendClients, EndpointClients
    from localrun.lambdas import LambdaControlPlane
    from localrun.pool import FunctionPool
    from localrun.redrive import MessageMover

STATIC = Path(__file__).parent / "static"
QUEUE_ATTRIBUTES: list[QueueAttributeFilterType] = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]
PEEK_LIMIT = 50  # DLQ messages listed on its page
SSE_WAIT_S = 15.0


@dataclass(frozen=True)
class ConsoleContext:
    current_topology: Callable[[], Topology]  # the runner's model now: infra saved while running changes it
    mode: str
    pools: Mapping[str, FunctionPool]
    control: LambdaControlPlane
    traces: TraceStore
    mover: MessageMover
    backend: BackendClients  # the runner's own reads (queue stats, peeks, scans)
    endpoint: EndpointClients  # what the console sends, through the endpoint like any SDK user
    root: Path  # the repository: services/<svc>/events/ holds the sample events


def create_app(ctx: ConsoleContext) -> Starlette:
    c = _Console(ctx)
    routes = [
        Route("/", c.topology_page),
        Route("/topology.svg", c.topology_svg),
        Route("/functions/{name}", c.function_page),
        Route("/functions/{name}/invoke", c.invoke, methods=["POST"]),
        Route("/buses/{name}", c.bus_page),
        Route("/buses/{name}/put", c.put_event, methods=["POST"]),
        Route("/topics/{name}", c.topic_page),
        Route("/queues", c.queues_page),
        Route("/queues/stats", c.queue_stats),
        Route("/queues/{name}", c.queue_page),
        Route("/queues/{name}/send", c.send_message, methods=["POST"]),
        Route("/queues/{name}/redrive", c.redrive_all, methods=["POST"]),
        Route("/queues/{name}/messages/{message_id}/redrive", c.redrive_one, methods=["POST"]),
        Route("/queues/{name}/purge", c.purge, methods=["GET", "POST"]),
        Route("/traces", c.traces_page),
        Route("/traces/list", c.traces_list),
        Route("/traces/{trace}", c.trace_page),
        Route("/traces/{trace}/timeline", c.trace_timeline),
        Route("/traces/{trace}/hops/{seq:int}/{part}", c.hop_part),
        Route("/data", c.data_page),
        Route("/tables/{name}", c.table_page),
        Route("/buckets/{name}", c.bucket_page),
        Route("/buckets/{name}/upload", c.upload, methods=["POST"]),
        Route("/events", c.events),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes)


def _html(title: str, body: str, current: str = "", status: int = 200) -> HTMLResponse:
    return HTMLResponse(page(title, body, current), status_code=status)


def _see(href: str) -> RedirectResponse:
    return RedirectResponse(href, status_code=303)


def _not_found(what: str) -> HTMLResponse:
    return _html("Not found", f"<p>{e(what)} is not part of this topology.</p>", status=404)


def _short(arn: str) -> str:
    return arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


class _Console:
    def __init__(self, ctx: ConsoleContext) -> None:
        self.ctx = ctx

    @property
    def t(self) -> Topology:
        return self.ctx.current_topology()

    # -- links to elements ----------------------------------------------------------------------------------
    def _arn_link(self, arn: str) -> str:
        """A link to the page of whatever ``arn`` names (function, queue, bus, topic), else the ARN."""
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if service == "lambda":
            return link(url("functions", function_name_from_arn(arn)), function_name_from_arn(arn))
        if service == "sqs":
            return link(url("queues", _short(arn)), _short(arn))
        if service == "events":
            return link(url("buses", _short(arn)), f"bus {_short(arn)}")
        if service == "sns":
            return link(url("topics", _short(arn)), f"topic {_short(arn)}")
        return f"<code>{e(arn)}</code>"

    def _fn_link(self, name: str) -> str:
        return link(url("functions", name), name)

    # -- topology -------------------------------------------------------------------------------------------
    def topology_svg(self, _request: Request) -> Response:
        return Response(render_svg(self.t), media_type="image/svg+xml")

    def topology_page(self, _request: Request) -> HTMLResponse:
        t = self.t
        parts = [
            f"<p>Stacks: {e(', '.join(t.stacks))}. Functions run as <strong>{e(self.ctx.mode)}</strong> instances. "
            f"{link('/traces', 'Traces')} follow one request or event through every hop.</p>",
            "<h2>Functions</h2>",
            f'<div hx-get="/?part=functions" hx-trigger="live, every 5s" hx-select="#functions" '
            f'hx-swap="innerHTML" data-live>{self._functions_table()}</div>',
            "<details><summary>The picture (also <code>python -m localrun.diagram</code>)</summary>"
            '<p><a href="/topology.svg"><img src="/topology.svg" alt="The topology: every element and its edges" '
            'style="max-width:100%"></a></p></details>',
        ]
        if t.rest_apis:
            rows = [
                [
                    e(api.name),
                    e(r.method),
                    f"<code>{e(r.path)}</code>",
                    self._fn_link(r.function_name) if r.function_name else "-",
                ]
                for api in t.rest_apis
                for r in api.routes
            ]
            parts += ["<h2>REST routes</h2>", table(["API", "method", "path", "function"], rows, id_="routes")]
        if t.buses or t.rules:
            rows = [
                [
                    e(r.name),
                    link(url("buses", r.bus_name), r.bus_name),
                    f"<code>{e(r.pattern or r.schedule or '')}</code>",
                    ", ".join(self._arn_link(x.arn) for x in r.targets),
                ]
                for r in t.rules
            ]
            buses = ", ".join(link(url("buses", b.name), b.name) for b in t.buses)
            parts += [f"<h2>Buses and rules</h2><p>Buses: {buses or 'default'}</p>"]
            parts.append(table(["rule", "bus", "pattern", "targets"], rows, id_="rules"))
        if t.queues:
            rows = []
            for q in t.queues:
                consumers = [m.function_name for m in t.event_source_mappings if m.source_arn == q.arn]
                rows.append(
                    [
                        link(url("queues", q.name), q.name),
                        self._arn_link(q.redrive.dlq_arn) if q.redrive else "-",
                        e(q.redrive.max_receive_count) if q.redrive else "-",
                        ", ".join(self._fn_link(function_name_from_arn(c)) for c in consumers) or "-",
                    ]
                )
            parts += ["<h2>Queues</h2>", table(["queue", "DLQ", "max receives", "consumer"], rows, id_="queues")]
        if t.topics:
            rows = [
                [
                    link(url("topics", tp.name), tp.name),
                    "<br>".join(
                        f"{e(s.protocol)}: {self._arn_link(s.endpoint)}"
                        for s in t.subscriptions
                        if s.topic_arn == tp.arn
                    )
                    or "-",
                ]
                for tp in t.topics
            ]
            parts += ["<h2>Topics and subscriptions</h2>", table(["topic", "subscriptions"], rows, id_="topics")]
        if t.bucket_notifications:
            rows = []
            for n in t.bucket_notifications:
                for kind, configs in n.configuration.items():
                    for cfg in configs if isinstance(configs, list) else []:
                        arn = str(cfg.get("LambdaFunctionArn") or cfg.get("QueueArn") or cfg.get("TopicArn") or "")
                        rows.append(
                            [
                                link(url("buckets", n.bucket_name), n.bucket_name),
                                e(", ".join(cfg.get("Events", []))),
                                f"<code>{e(json.dumps(cfg.get('Filter', {})))}</code>",
                                self._arn_link(arn) if arn else e(kind),
                            ]
                        )
            parts += ["<h2>Bucket notifications</h2>", table(["bucket", "events", "filter", "target"], rows)]
        dests = [
            [
                self._fn_link(c.function_name),
                e(c.max_retries),
                self._arn_link(c.on_success) if c.on_success else "-",
                self._arn_link(c.on_failure) if c.on_failure else "-",
            ]
            for c in t.event_invoke_configs
        ]
        dests += [
            [self._fn_link(f.name), "-", "-", "DLQ " + self._arn_link(f.dlq_arn)] for f in t.functions if f.dlq_arn
        ]
        if dests:
            parts += [
                "<h2>Destinations</h2>",
                table(["function", "retries", "on success", "on failure"], dests, id_="destinations"),
            ]
        data = [link(url("tables", tb.name), tb.name) for tb in t.tables] + [
            link(url("buckets", b.name), b.name) for b in t.buckets
        ]
        if data:
            parts += ["<h2>Tables and buckets</h2><p>" + " · ".join(data) + "</p>"]
        if t.skipped:
            parts += ["<h2>Not emulated</h2><ul>" + "".join(f"<li>{e(s)}</li>" for s in t.skipped) + "</ul>"]
        return _html("Topology", "\n".join(parts), "/")

    def _functions_table(self) -> str:
        rows = []
        for fn in self.t.functions:
            pool = self.ctx.pools.get(fn.name)
            rows.append(
                [
                    self._fn_link(fn.name),
                    e(fn.stack),
                    f"<code>{e(fn.handler)}</code>",
                    e(self.ctx.mode),
                    e(f"{pool.size}/{pool.max_size}" if pool else "-"),
                    e(pool.idle if pool else 0),
                    e(pool.busy if pool else 0),
                ]
            )
        return table(
            ["function", "stack", "handler", "mode", "pool (running/max)", "warm idle", "busy"], rows, id_="functions"
        )

    # -- functions ------------------------------------------------------------------------------------------
    def _samples(self, fn: Function) -> dict[str, str]:
        folder = self.ctx.root / "services" / fn.service / "events"
        if not folder.is_dir():
            return {}
        return {p.name: p.read_text() for p in sorted(folder.glob("*.json")) if p.name != "openapi.json"}

    def function_page(self, request: Request) -> HTMLResponse:
        fn = self.t.function(request.path_params["name"])
        if fn is None:
            return _not_found(f"function {request.path_params['name']}")
        pool = self.ctx.pools.get(fn.name)
        cfg = self.ctx.control.invoke_config(fn)
        samples = self._samples(fn)
        chosen = request.query_params.get("sample") or next(iter(samples), "")
        options = "".join(
            f'<option value="{e(n)}"{" selected" if n == chosen else ""}>{e(n)}</option>' for n in samples
        )
        picker = (
            f'<form method="get"><label for="sample">Sample event (services/{e(fn.service)}/events)</label>'
            f'<select id="sample" name="sample">{options}</select> <button>Load</button></form>'
            if samples
            else ""
        )
        facts = dl(
            [
                ("stack", e(fn.stack)),
                ("service / handler", f"{e(fn.service)} / <code>{e(fn.handler)}</code>"),
                ("timeout / memory", e(f"{fn.timeout_s} s / {fn.memory_mb} MB")),
                (
                    "pool",
                    e(
                        f"{pool.size} running of {pool.max_size}, {pool.idle} idle, {pool.busy} busy, "
                        f"{pool.started} started"
                        if pool
                        else "-"
                    ),
                ),
                ("async retries", e(cfg.max_retries)),
                ("on success", self._arn_link(cfg.on_success) if cfg.on_success else "-"),
                ("on failure", self._arn_link(cfg.on_failure) if cfg.on_failure else "-"),
                ("DLQ", self._arn_link(fn.dlq_arn) if fn.dlq_arn else "-"),
            ]
        )
        form = (
            f'<h2>Invoke</h2>{picker}<form method="post" action="{url("functions", fn.name, "invoke")}">'
            '<label for="payload">Event (JSON)</label>'
            f'<textarea id="payload" name="payload">{e(samples.get(chosen, "{}"))}'
            '</textarea><label for="type">Invocation type</label><select id="type" name="type">'
            '<option value="RequestResponse">RequestResponse (wait for the result)</option>'
            '<option value="Event">Event (asynchronous: retries and destinations)</option></select>'
            "<button>Invoke and open the trace</button></form>"
        )
        recent = self._trace_rows(self.ctx.traces.summaries(function=fn.name, limit=20))
        return _html(f"Function {fn.name}", facts + form + "<h2>Recent traces</h2>" + recent)

    async def invoke(self, request: Request) -> Response:
        fn = self.t.function(request.path_params["name"])
        if fn is None:
            return _not_found("this function")
        form = await request.form()
        payload = str(form.get("payload") or "{}").encode()
        try:
            json.loads(payload)
        except ValueError as exc:
            return _html("Not JSON", f"<p>The event is not JSON: {e(exc)}</p>", status=400)
        trace = new_trace_id()
        control = self.ctx.control
        if form.get("type") == "Event":
            await run_in_threadpool(control.invoke_async, fn.name, payload, trace, "console (Event)")
        else:
            await run_in_threadpool(control.invoke, fn.name, payload, trace, "console")
        return _see(url("traces", trace))

    # -- buses and topics -----------------------------------------------------------------------------------
    def bus_page(self, request: Request) -> HTMLResponse:
        name = request.path_params["name"]
        rules = [r for r in self.t.rules if r.bus_name == name]
        if not rules and name not in {b.name for b in self.t.buses} and name != "default":
            return _not_found(f"bus {name}")
        rows = [
            [
                e(r.name),
                f"<code>{e(r.pattern or r.schedule or '')}</code>",
                ", ".join(self._arn_link(x.arn) for x in r.targets),
            ]
            for r in rules
        ]
        sample: dict[str, Any] = next((json.loads(r.pattern) for r in rules if r.pattern), {})
        source = (sample.get("source") or [""])[0] if isinstance(sample.get("source"), list) else ""
        detail_type = (sample.get("detail-type") or [""])[0] if isinstance(sample.get("detail-type"), list) else ""
        form = (
            f'<h2>Put an event</h2><form method="post" action="{url("buses", name, "put")}">'
            f'<label for="source">Source</label><input type="text" id="source" name="source" value="{e(source)}">'
            f'<label for="detail_type">Detail type</label><input type="text" id="detail_type" name="detail_type" '
            f'value="{e(detail_type)}"><label for="detail">Detail (JSON)</label>'
            '<textarea id="detail" name="detail">{}</textarea><button>Put the event and open its trace</button></form>'
        )
        return _html(f"Bus {name}", table(["rule", "pattern", "targets"], rows, id_="rules") + form)

    async def put_event(self, request: Request) -> Response:
        name = request.path_params["name"]
        form = await request.form()
        entry: Any = {
            "Source": str(form.get("source") or "console"),
            "DetailType": str(form.get("detail_type") or "console"),
            "Detail": str(form.get("detail") or "{}"),
            "EventBusName": name,
        }
        resp = await run_in_threadpool(self.ctx.endpoint.events.put_events, Entries=[entry])
        first = resp["Entries"][0]
        if not first.get("EventId"):
            return _html("Not put", f"<p>PutEvents refused the event: {e(first.get('ErrorMessage'))}</p>", status=400)
        return self._to_trace_of(first["EventId"])

    def _to_trace_of(self, external_id: str) -> Response:
        trace = self.ctx.traces.linked([external_id])
        return _see(url("traces", trace) if trace else "/traces")

    def topic_page(self, request: Request) -> HTMLResponse:
        topic = next((tp for tp in self.t.topics if tp.name == request.path_params["name"]), None)
        if topic is None:
            return _not_found(f"topic {request.path_params['name']}")
        rows = [
            [
                e(s.protocol),
                self._arn_link(s.endpoint),
                f"<code>{e(s.filter_policy or '')}</code>",
                e("yes" if s.raw_message_delivery else "no"),
            ]
            for s in self.t.subscriptions
            if s.topic_arn == topic.arn
        ]
        return _html(
            f"Topic {topic.name}",
            f"<p><code>{e(topic.arn)}</code></p>" + table(["protocol", "endpoint", "filter policy", "raw"], rows),
        )

    # -- queues ---------------------------------------------------------------------------------------------
    def _queue(self, name: str) -> Queue | None:
        return next((q for q in self.t.queues if q.name == name), None)

    def _stats(self, q: Queue) -> dict[str, str]:
        sqs = self.ctx.backend.sqs
        u = self.ctx.backend.queue_url(q.arn)
        attrs = sqs.get_queue_attributes(QueueUrl=u, AttributeNames=QUEUE_ATTRIBUTES)["Attributes"]
        out: dict[str, str] = {str(k): str(v) for k, v in attrs.items()}
        if not int(out.get("ApproximateNumberOfMessages", "0")):
            out["oldest"] = "-"
        elif q.redrive is not None:  # a peek is a receive: it would count towards maxReceiveCount
            out["oldest"] = "n/a (has a redrive policy)"
        else:
            out["oldest"] = self._oldest_age(q)
        return out

    def _oldest_age(self, q: Queue) -> str:
        """Age of the oldest visible message (a zero-visibility peek: it stays where it is)."""
        sqs = self.ctx.backend.sqs
        resp = sqs.receive_message(
            QueueUrl=self.ctx.backend.queue_url(q.arn),
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            AttributeNames=["SentTimestamp"],
        )
        sent = [int(m.get("Attributes", {}).get("SentTimestamp", "0")) for m in resp.get("Messages", [])]
        if not sent:
            return "-"
        return f"{max(0.0, time.time() - min(sent) / 1000):.0f} s"

    def _is_dlq(self, q: Queue) -> bool:
        return (
            bool(self.ctx.mover.sources_of(q.arn))
            or any(f.dlq_arn == q.arn for f in self.t.functions)
            or any(c.on_failure == q.arn for c in self.t.event_invoke_configs)
        )

    def queues_page(self, _request: Request) -> HTMLResponse:
        return _html(
            "Queues",
            '<div hx-get="/queues/stats" hx-trigger="live, every 5s" hx-swap="innerHTML" data-live>'
            + self._stats_table()
            + "</div>",
            "/queues",
        )

    def queue_stats(self, _request: Request) -> HTMLResponse:
        return HTMLResponse(self._stats_table())

    def _stats_table(self) -> str:
        rows = []
        for q in self.t.queues:
            try:
                s = self._stats(q)
            except Exception as exc:  # a queue moto lost: say so, keep the others
                rows.append([link(url("queues", q.name), q.name), e(f"unavailable: {exc}"), "", "", "", ""])
                continue
            rows.append(
                [
                    link(url("queues", q.name), q.name),
                    e(s.get("ApproximateNumberOfMessages")),
                    e(s.get("ApproximateNumberOfMessagesNotVisible")),
                    e(s.get("oldest")),
                    "DLQ" if self._is_dlq(q) else "",
                    self._arn_link(q.redrive.dlq_arn) if q.redrive else "-",
                ]
            )
        return table(["queue", "depth", "in flight", "oldest", "kind", "its DLQ"], rows, id_="queue-stats")

    def queue_page(self, request: Request) -> HTMLResponse:
        q = self._queue(request.path_params["name"])
        if q is None:
            return _not_found(f"queue {request.path_params['name']}")
        s = self._stats(q)
        sources = self.ctx.mover.sources_of(q.arn)
        parts = [
            dl(
                [
                    ("ARN", f"<code>{e(q.arn)}</code>"),
                    ("URL", f"<code>{e(self.ctx.endpoint.endpoint)}/{ACCOUNT_ID}/{e(q.name)}</code>"),
                    (
                        "depth / in flight / delayed",
                        e(
                            f"{s.get('ApproximateNumberOfMessages')} / "
                            f"{s.get('ApproximateNumberOfMessagesNotVisible')} / "
                            f"{s.get('ApproximateNumberOfMessagesDelayed')}"
                        ),
                    ),
                    ("oldest message", e(s.get("oldest"))),
                    ("visibility timeout", e(f"{q.visibility_timeout_s} s")),
                    (
                        "DLQ",
                        self._arn_link(q.redrive.dlq_arn) + e(f" after {q.redrive.max_receive_count} receives")
                        if q.redrive
                        else "-",
                    ),
                    ("DLQ of", ", ".join(self._arn_link(a) for a in sources) or "-"),
                ]
            )
        ]
        if self._is_dlq(q) and q.redrive is None:  # listing is receiving: never on a queue that dead-letters
            parts.append(self._dlq_section(q, sources))
        parts.append(
            f'<h2>Send a message</h2><form method="post" action="{url("queues", q.name, "send")}">'
            '<label for="body">Body</label><textarea id="body" name="body">{}</textarea>'
            "<button>Send and open its trace</button></form>"
            f'<h2>Purge</h2><p><a href="{url("queues", q.name, "purge")}">Purge this queue…</a> (asks first)</p>'
        )
        return _html(f"Queue {q.name}", "".join(parts))

    def _dlq_section(self, q: Queue, sources: list[str]) -> str:
        sqs = self.ctx.backend.sqs
        u = self.ctx.backend.queue_url(q.arn)
        seen: dict[str, Any] = {}
        for _ in range(PEEK_LIMIT // 10):
            resp = sqs.receive_message(
                QueueUrl=u,
                MaxNumberOfMessages=10,
                VisibilityTimeout=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            new = [m for m in resp.get("Messages", []) if m["MessageId"] not in seen]
            if not new:
                break
            seen.update((m["MessageId"], m) for m in new)
        rows = []
        for m in seen.values():
            trace = self.ctx.traces.linked([m["MessageId"]])
            action = url("queues", q.name, "messages", m["MessageId"], "redrive")
            redrive_one = (
                f'<form class="inline" method="post" action="{action}">'
                f'<button aria-label="Redrive message {e(m["MessageId"][:8])}">Redrive</button></form>'
                if sources
                else ""
            )
            rows.append(
                [
                    f"<code>{e(m['MessageId'][:8])}</code>",
                    e(_cause(m, q, self.t)),
                    pre(m.get("Body", ""), 400),
                    link(url("traces", trace), "trace") if trace else "-",
                    redrive_one,
                ]
            )
        where = ", ".join(_short(a) for a in sources)
        redrive_all = (
            f'<form method="post" action="{url("queues", q.name, "redrive")}">'
            f"<button>Redrive all to {e(where)}</button></form>"
            if sources
            else "<p>Not a redrive DLQ of any queue: messages can be read, not moved back.</p>"
        )
        tasks = self.ctx.mover.tasks(q.arn)
        task_rows = [
            [e(t.handle[:8]), e(t.status.value), e(f"{t.moved}/{t.to_move}"), e(t.failure or "")] for t in tasks[:5]
        ]
        return (
            f"<h2>Dead-letter messages ({len(seen)} shown)</h2>{redrive_all}"
            + table(["message", "cause", "body", "trace", ""], rows, id_="dlq-messages")
            + (table(["move task", "status", "moved", "failure"], task_rows) if task_rows else "")
        )

    async def send_message(self, request: Request) -> Response:
        q = self._queue(request.path_params["name"])
        if q is None:
            return _not_found("this queue")
        form = await request.form()
        sqs = self.ctx.endpoint.sqs
        args: Any = {"QueueUrl": self.ctx.endpoint.queue_url(q.arn), "MessageBody": str(form.get("body") or "{}")}
        if q.fifo:
            args |= {"MessageGroupId": "console", "MessageDeduplicationId": new_trace_id()}
        sent = await run_in_threadpool(lambda: sqs.send_message(**args))
        return self._to_trace_of(sent["MessageId"])

    async def redrive_all(self, request: Request) -> Response:
        q = self._queue(request.path_params["name"])
        if q is None:
            return _not_found("this queue")
        await run_in_threadpool(self.ctx.mover.start, q.arn)
        return _see(url("queues", q.name))

    async def redrive_one(self, request: Request) -> Response:
        q = self._queue(request.path_params["name"])
        if q is None:
            return _not_found("this queue")
        message_id = request.path_params["message_id"]
        moved = await run_in_threadpool(self.ctx.mover.move_one, q.arn, message_id)
        if not moved:
            return _html("Not moved", f"<p>Message {e(message_id)} is no longer in {e(q.name)}.</p>", status=404)
        trace = self.ctx.traces.linked([message_id])
        return _see(url("traces", trace) if trace else url("queues", q.name))

    async def purge(self, request: Request) -> Response:
        q = self._queue(request.path_params["name"])
        if q is None:
            return _not_found("this queue")
        if request.method == "GET":
            return _html(
                f"Purge {q.name}?",
                f"<p>This deletes every message in <strong>{e(q.name)}</strong>; it cannot be undone.</p>"
                f'<form method="post"><input type="hidden" name="confirm" value="yes">'
                f'<button>Yes, purge {e(q.name)}</button> <a href="{url("queues", q.name)}">Cancel</a></form>',
            )
        form = await request.form()
        if form.get("confirm") != "yes":
            return _see(url("queues", q.name, "purge"))
        u = self.ctx.backend.queue_url(q.arn)
        await run_in_threadpool(lambda: self.ctx.backend.sqs.purge_queue(QueueUrl=u))
        self.ctx.control.journal.log("purge", f"{q.name} purged from the console")
        return _see(url("queues", q.name))

    # -- traces ---------------------------------------------------------------------------------------------
    def _filters(self, request: Request) -> tuple[TraceStatus | None, str, str]:
        raw = request.query_params.get("status", "")
        status = TraceStatus(raw) if raw in {s.value for s in TraceStatus} else None
        return status, request.query_params.get("function", ""), request.query_params.get("q", "")

    def traces_page(self, request: Request) -> HTMLResponse:
        status, function, text = self._filters(request)
        options = '<option value="">any</option>' + "".join(
            f'<option value="{s.value}"{" selected" if s == status else ""}>{s.value}</option>' for s in TraceStatus
        )
        functions = '<option value="">any</option>' + "".join(
            f"<option{' selected' if f.name == function else ''}>{e(f.name)}</option>" for f in self.t.functions
        )
        form = (
            '<form class="filters" method="get" action="/traces" hx-get="/traces/list" hx-target="#trace-list" '
            'hx-trigger="input delay:300ms, change" hx-push-url="false">'
            f'<label>Status <select name="status">{options}</select></label>'
            f'<label>Function <select name="function">{functions}</select></label>'
            f'<label>Text <input type="text" name="q" value="{e(text)}"></label><button>Filter</button></form>'
        )
        query = request.url.query
        listing = (
            f'<div id="trace-list" hx-get="/traces/list?{e(query)}" hx-trigger="live" hx-include=".filters" '
            f'data-live aria-live="polite">{self._trace_list(status, function, text)}</div>'
        )
        return _html("Traces", form + listing, "/traces")

    def traces_list(self, request: Request) -> HTMLResponse:
        return HTMLResponse(self._trace_list(*self._filters(request)))

    def _trace_list(self, status: TraceStatus | None, function: str, text: str) -> str:
        store = self.ctx.traces
        notice = (
            f'<p class="notice">The store keeps the last {store.keep} hops: '
            f"{store.dropped} older hops were dropped.</p>"
            if store.dropped
            else f"<p>Keeping the last {store.keep} hops.</p>"
        )
        return notice + self._trace_rows(store.summaries(status, function, text))

    def _trace_rows(self, summaries: list[Any]) -> str:
        rows = [
            [
                link(url("traces", s.trace), s.trace[:12]),
                e(time.strftime("%H:%M:%S", time.localtime(s.started))),
                badge(s.status.value),
                e(s.first[:90]),
                e(", ".join(s.functions)),
                e(s.hops),
            ]
            for s in summaries
        ]
        return (
            table(["trace", "started", "status", "first hop", "functions", "hops"], rows, id_="traces")
            if rows
            else "<p>No traces yet.</p>"
        )

    def trace_page(self, request: Request) -> HTMLResponse:
        trace = request.path_params["trace"]
        body = (
            f"<p>Trace id <code>{e(trace)}</code> (X-Amzn-Trace-Id Root=1-…-{e(trace)})</p>"
            f'<div id="timeline" hx-get="{url("traces", trace, "timeline")}" hx-trigger="live" data-live>'
            f"{self._timeline(trace)}</div>"
        )
        return _html(f"Trace {trace[:12]}", body, "/traces")

    def trace_timeline(self, request: Request) -> HTMLResponse:
        return HTMLResponse(self._timeline(request.path_params["trace"]))

    def _timeline(self, trace: str) -> str:
        hops = self.ctx.traces.hops(trace)
        if not hops:
            return "<p>No hops recorded for this trace (yet, or dropped from the store).</p>"
        start = hops[0].time
        items = []
        for h in hops:
            items.append(
                f'<li class="hop" data-kind="{e(h.kind)}"><span>+{(h.time - start) * 1000:.0f} ms</span> '
                f"<strong>{e(h.kind)}</strong> {self._hop_status(h)} {e(h.text)}"
                + (f" — {self._fn_link(h.function)}" if h.function else "")
                + self._hop_details(trace, h)
                + "</li>"
            )
        return f'<ol class="timeline" id="hops">{"".join(items)}</ol>'

    @staticmethod
    def _hop_status(h: Hop) -> str:
        f = h.fields
        bits = []
        if h.ok is not None:
            bits.append(badge("ok" if h.ok else "error"))
        if "cold" in f:
            bits.append(badge("cold" if f["cold"] else "warm"))
        if int(f.get("attempts", 1)) > 1:
            bits.append(e(f"attempt {f.get('attempt')} of {f.get('attempts')}"))
        if "duration_ms" in f:
            bits.append(e(f"{f['duration_ms']} ms"))
        if "delay_s" in f:
            bits.append(e(f"wait {f['delay_s']:.2f} s"))
        return " ".join(bits)

    def _hop_details(self, trace: str, h: Hop) -> str:
        out = []
        for part in ("input", "output"):
            text = h.fields.get(part)
            if text:
                size = h.fields.get(f"{part}_bytes")
                label = f"{part}" + (f" ({size} bytes)" if size else "")
                more = url("traces", trace, "hops", str(h.seq), part)
                out.append(f"<details><summary>{e(label)}</summary>{pre(str(text), more_href=more)}</details>")
        logs = h.fields.get("logs")
        if logs:
            out.append(f"<details><summary>log lines ({len(logs)})</summary>{pre(chr(10).join(logs))}</details>")
        for key in ("cause", "destination", "rule", "error_type"):
            if h.fields.get(key):
                out.append(f"<div>{e(key)}: <code>{e(h.fields[key])}</code></div>")
        return "".join(out)

    def hop_part(self, request: Request) -> Response:
        hop = next(
            (h for h in self.ctx.traces.hops(request.path_params["trace"]) if h.seq == request.path_params["seq"]), None
        )
        part = request.path_params["part"]
        if hop is None or part not in ("input", "output") or not hop.fields.get(part):
            return PlainTextResponse("not found (or dropped from the trace store)", status_code=404)
        return PlainTextResponse(str(hop.fields[part]))

    async def events(self, request: Request) -> StreamingResponse:
        """Server-sent events: ``change`` whenever the trace store changed (checked every SSE_WAIT_S at most)."""
        store = self.ctx.traces

        async def stream() -> AsyncIterator[str]:
            seen = store.version
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                now = await anyio.to_thread.run_sync(store.wait_for_change, seen, SSE_WAIT_S, abandon_on_cancel=True)
                if now != seen:
                    seen = now
                    yield f"event: change\ndata: {now}\n\n"
                else:
                    yield ": keep-alive\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    # -- data -----------------------------------------------------------------------------------------------
    def data_page(self, _request: Request) -> HTMLResponse:
        tables = "".join(f"<li>{link(url('tables', t.name), t.name)}</li>" for t in self.t.tables)
        buckets = "".join(f"<li>{link(url('buckets', b.name), b.name)}</li>" for b in self.t.buckets)
        return _html("Data", f"<h2>Tables</h2><ul>{tables}</ul><h2>Buckets</h2><ul>{buckets}</ul>", "/data")

    def table_page(self, request: Request) -> HTMLResponse:
        tb = next((t for t in self.t.tables if t.name == request.path_params["name"]), None)
        if tb is None:
            return _not_found(f"table {request.path_params['name']}")
        from boto3.dynamodb.types import TypeDeserializer

        des = TypeDeserializer()
        resp = self.ctx.backend.dynamodb.scan(TableName=tb.name, Limit=100)
        items = [{k: des.deserialize(v) for k, v in item.items()} for item in resp.get("Items", [])]
        rows = [[pre(json.dumps(item, default=str), 600)] for item in items]
        more = " (first 100; more exist)" if resp.get("LastEvaluatedKey") else ""
        return _html(
            f"Table {tb.name}",
            f"<p>{len(items)} item(s){e(more)}, read-only.</p>" + table(["item"], rows, id_="items"),
            "/data",
        )

    def bucket_page(self, request: Request) -> HTMLResponse:
        bucket = next((b for b in self.t.buckets if b.name == request.path_params["name"]), None)
        if bucket is None:
            return _not_found(f"bucket {request.path_params['name']}")
        resp = self.ctx.backend.s3.list_objects_v2(Bucket=bucket.name, MaxKeys=200)
        rows = [[e(o["Key"]), e(o["Size"]), e(o["LastModified"])] for o in resp.get("Contents", [])]
        form = (
            f'<h2>Upload an object</h2><form method="post" action="{url("buckets", bucket.name, "upload")}">'
            '<label for="key">Key</label><input type="text" id="key" name="key" value="uploads/console.csv">'
            '<label for="content">Content</label><textarea id="content" name="content"></textarea>'
            "<button>Upload and open its trace</button></form>"
        )
        return _html(f"Bucket {bucket.name}", table(["key", "size", "modified"], rows, id_="objects") + form, "/data")

    async def upload(self, request: Request) -> Response:
        bucket = request.path_params["name"]
        form = await request.form()
        key = str(form.get("key") or "").strip()
        if not key:
            return _html("No key", "<p>An object needs a key.</p>", status=400)
        content = str(form.get("content") or "").encode()
        s3 = self.ctx.endpoint.s3
        await run_in_threadpool(lambda: s3.put_object(Bucket=bucket, Key=key, Body=content))
        return self._to_trace_of(f"s3://{bucket}/{key}")


def _cause(m: Any, q: Queue, t: Topology) -> str:
    """Why a message is in a DLQ: Lambda's error attributes, a destination record's condition, or the redrive."""
    attrs = m.get("MessageAttributes", {})
    if "ErrorMessage" in attrs or "ErrorCode" in attrs:
        return (
            f"{attrs.get('ErrorCode', {}).get('StringValue', '')} "
            f"{attrs.get('ErrorMessage', {}).get('StringValue', '')}"
        ).strip()
    try:
        body = json.loads(m.get("Body", ""))
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("requestContext"), dict):
        ctx = body["requestContext"]
        error = body.get("responsePayload") or {}
        message = error.get("errorMessage", "") if isinstance(error, dict) else ""
        return f"{ctx.get('condition')} after {ctx.get('approximateInvokeCount')} attempt(s): {message}".strip()
    sources = [s for s in t.queues if s.redrive is not None and s.redrive.dlq_arn == q.arn]
    receives = m.get("Attributes", {}).get("ApproximateReceiveCount", "?")
    if sources:
        return (
            f"received more than {sources[0].redrive.max_receive_count} times from {sources[0].name} "
            f"(receives here: {receives})"
            if sources[0].redrive
            else ""
        )
    return "-"
