"""The local AWS endpoint (``http://127.0.0.1:4566``): a thin dispatcher.

* ``/_localrun/...`` and the Lambda API are answered by the runner (``localrun.lambda_api``);
* every other call goes to the AWS API backend (moto), after the rewriter for its protocol (``localrun.rewrite``)
  has turned Lambda targets into shadow queues; the rewriter's intent then says what to do with the answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from localrun.httploop import LoopHTTPServer, WouldBlock, must_not_wait
from localrun.httpserve import Answer, Received
from localrun.journal import Journal
from localrun.lambda_api import CONTROL_PATH, LAMBDA_PATHS, LambdaApi, control_api
from localrun.lambdas import LambdaControlPlane
from localrun.model import ACCOUNT_ID, REGION, Rule
from localrun.motobackend import MotoBackend
from localrun.records.calls import Call, answer_ids, classify, describe
from localrun.redrive import MOVE_ACTIONS, MessageMover, move_task_api
from localrun.rewrite import AnswerIntent, RecordSubscription, Request, Rewriters, ShowFunctionArns
from localrun.traces import TRACE_HEADER, new_trace_id, trace_id_from_header

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "content-length",
}


class Gateway:
    def __init__(
        self,
        backend: MotoBackend,
        control: LambdaControlPlane,
        journal: Journal,
        host: str = "127.0.0.1",
        port: int = 4566,
        mover: MessageMover | None = None,
    ) -> None:
        self.backend = backend
        self.mover = mover
        self.control = control
        self.journal = journal
        self.lambda_api = LambdaApi(control)
        self.rewriters = Rewriters.for_shadows(control.shadows.arn_for, journal)
        import moto.events.models  # noqa: F401 - the rule matcher: imported now, not on the first PutEvents

        self.server = LoopHTTPServer((host, port), self.respond)
        self.thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def respond(self, received: Received) -> Answer:
        """The answer to one HTTP request; a failure is answered as a failing AWS endpoint would, never hung."""
        head = received.head
        try:
            return self.dispatch(Request(head.method, head.target, head.headers, received.body), received.after)
        except Exception as exc:
            self.journal.log("gateway", f"{head.method} {head.target}: {exc!r}")
            data = json.dumps({"message": f"local endpoint error: {exc}"}).encode()
            return 500, [("Content-Type", "application/json")], data

    def dispatch(self, request: Request, after: list[Callable[[], None]] | None = None) -> Answer:
        """The answer to one request. A producer's trace hop and links are recorded once the answer is written
        when ``after`` (the server's list of what follows the answer) is given (~50 us of a SendMessage the client
        does not wait for), else before this returns."""
        if request.path.startswith(CONTROL_PATH):
            _may_wait()
            return control_api(self.control, request)
        if request.path.startswith(LAMBDA_PATHS):
            _may_wait()  # an invocation waits for the function
            return self.lambda_api.answer(request)
        service, _, action = (request.header("X-Amz-Target") or "").partition(".")
        if service == "AmazonSQS" and action in MOVE_ACTIONS and self.mover is not None:
            _may_wait()
            return move_task_api(self.mover, action, request.body)
        trace = trace_id_from_header(request.header(TRACE_HEADER))
        call = classify(request.method, request.path, request.headers, request.body, in_trace=trace is not None)
        if call is not None and call.producer and trace is None:
            trace = new_trace_id()  # a producer outside any trace starts one
        if call is None or trace is None:
            return self._pass(request)
        traces = self.control.traces
        traces.start_producing()  # consumers of what this call produces wait for its links until done_producing
        try:
            status, headers, body = self._pass(request)
        except BaseException:
            traces.done_producing()
            raise

        def record() -> None:
            try:
                self._trace_call(call, request.body, trace, status, body)
            except Exception as exc:  # noqa: BLE001 - the call was made: failing it now would have it retried
                self.journal.log("gateway", f"no trace hop for {describe(call)}: {exc!r}", trace)
            finally:
                traces.done_producing()

        if after is None:
            record()
        else:
            after.append(record)
        return status, headers, body

    def _pass(self, request: Request) -> Answer:
        """To the backend, through the rewriter for the request's protocol."""
        rewrite = self.rewriters.rewrite(request)
        status, headers, body = self.forward(request.method, request.path, rewrite.headers, rewrite.body)
        if rewrite.then is not None:
            body = self.follow(rewrite.then, body)
        return status, headers, body

    def _trace_call(self, call: Call, sent: bytes, trace: str, status: int, answer: bytes) -> None:
        """One hop for a producer's call or a table write (with the JSON it ``sent``, as sent), the rules a put
        matched, then its answer's ids linked (consumers wait for the link while producer calls are in flight, so
        their hops come after these)."""
        traces = self.control.traces
        ids = answer_ids(call, status, answer)
        self.journal.log(
            "table-write" if call.table_write else "call",
            f"{describe(call)}" + ("" if status < 300 else f" -> HTTP {status}"),
            trace,
            service=call.service,
            action=call.action,
            target=call.target,
            ids=ids,
            ok=False if status >= 300 else None,
            input=sent[:65536].decode(errors="replace") if call.body else None,
        )
        if call.service == "events" and status < 300:
            for entry, event_id in zip(call.body.get("Entries", []), ids, strict=False):
                for rule in _rules_matching(self.control.topology.rules, entry, event_id):
                    targets = ", ".join(t.arn.rsplit(":", 1)[-1] for t in rule.targets)
                    self.journal.log(
                        "rule", f"rule {rule.name} on {rule.bus_name} matched -> {targets}", trace, rule=rule.name
                    )
        for external_id in ids:
            traces.link(external_id, trace)

    def follow(self, intent: AnswerIntent, answer: bytes) -> bytes:
        match intent:
            case ShowFunctionArns():
                try:
                    return self.control.shadows.to_function_arns(answer.decode()).encode()
                except UnicodeDecodeError:
                    return answer
            case RecordSubscription(function_name=fn, topic_arn=topic):
                arn = intent.subscription_arn(answer)
                if arn:
                    self.control.shadows.record_subscription(fn, topic, arn)
                return answer

    def forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        sent = [(name, value) for name, value in headers if name.lower() not in _HOP_BY_HOP]
        status, answer, data = self.backend.answer(method, path, sent, body)
        keep_length = method == "HEAD"  # a HEAD answer's Content-Length describes the object, not the body
        out = [
            (k, v) for k, v in answer if k.lower() not in _HOP_BY_HOP or (keep_length and k.lower() == "content-length")
        ]
        return status, out, data


def _may_wait() -> None:
    """The runner's own answers (control, Lambda, message moves) may wait: never on the endpoint's loop."""
    if must_not_wait():
        raise WouldBlock


def _rules_matching(rules: Iterable[Rule], entry: dict[str, Any], event_id: str) -> list[Rule]:
    """The rules whose pattern matches the event PutEvents made of ``entry`` (moto's matcher, as moto delivers)."""
    from moto.events.models import EventPattern

    try:
        detail = json.loads(str(entry.get("Detail") or "{}"))
    except ValueError:
        return []
    event: Any = {
        "version": "0",
        "id": event_id,
        "detail-type": entry.get("DetailType"),
        "source": entry.get("Source"),
        "account": ACCOUNT_ID,
        "region": REGION,
        "resources": entry.get("Resources", []),
        "detail": detail,
    }
    bus = str(entry.get("EventBusName") or "default").rsplit("/", 1)[-1]
    return [
        r
        for r in rules
        if r.bus_name == bus and r.enabled and r.pattern and EventPattern.load(r.pattern).matches_event(event)
    ]
