"""Lambda invocation semantics: sync invoke, async invoke (retries, max event age, destinations, DLQ)."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localrun.clock import Clock, Scheduler
from localrun.journal import Journal
from localrun.model import EventInvokeConfig, Function, Topology, arn_service, bus_name_from_arn, function_name_from_arn
from localrun.pool import Failure, FunctionPool, Result
from localrun.records.destination import (
    EVENT_AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    SUCCESS,
    Outcome,
    destination_detail_type,
    destination_record,
    dlq_message_attributes,
)

# AWS's waits before the first and the second async retry.
RETRY_DELAYS_S = (60.0, 120.0)
# Lambda's synchronous payload quotas: a request over this is refused before the function runs (413
# RequestEntityTooLargeException), a response over the second fails the invocation (Function.ResponseSizeTooLarge).
MAX_SYNC_REQUEST_BYTES = 6 * 1024 * 1024
MAX_SYNC_RESPONSE_BYTES = 6 * 1024 * 1024 + 100


class FunctionNotFoundError(LookupError):
    pass


class PayloadTooLargeError(ValueError):
    """The request payload is over Lambda's synchronous limit; the function was not invoked."""

    def __init__(self, size: int) -> None:
        super().__init__(
            f"{size} byte payload is too large for the RequestResponse invocation type "
            f"(limit {MAX_SYNC_REQUEST_BYTES} bytes)"
        )


@dataclass
class Chaos:
    """Fault injection: a share of invocations fails after the function ran, or loses its instance mid-flight.

    Both leave the function's side effects in place, which is what at-least-once delivery must survive.
    """

    fail_rate: float = 0.0
    kill_rate: float = 0.0
    only: str = ""  # a part of the function names it applies to ("" = all)
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self.rng.seed(self.seed)

    def applies(self, fn: Function) -> bool:
        return (self.fail_rate > 0 or self.kill_rate > 0) and self.only.lower() in fn.name.lower()

    def describe(self) -> dict[str, Any]:
        return {"fail_rate": self.fail_rate, "kill_rate": self.kill_rate, "only": self.only}


@dataclass
class AsyncEvent:
    function: Function
    payload: bytes
    request_id: str
    corr: str
    enqueued: float
    attempts: int = 0
    last: Result | None = None
    trail: list[str] = field(default_factory=list)


class LambdaService:
    """Invokes functions through their pools, the way the Lambda service would."""

    def __init__(
        self,
        topology: Topology,
        pools: Mapping[str, FunctionPool],
        clients: Any,  # localrun.aws.Clients (sqs, sns, events) pointing at moto
        clock: Clock,
        scheduler: Scheduler,
        journal: Journal,
    ) -> None:
        self.topology = topology
        self.pools = pools
        self.clients = clients
        self.clock = clock
        self.scheduler = scheduler
        self.journal = journal
        self.invoke_configs: dict[str, EventInvokeConfig] = {}  # set at runtime through the Lambda API
        self.chaos = Chaos()

    def _run(self, fn: Function, payload: bytes, timeout_s: float, corr: str, wait_s: float | None = None) -> Result:
        """One invocation on the function's pool, with fault injection when it is switched on."""
        pool = self.pools[fn.name]
        chaos = self.chaos
        if not chaos.applies(fn):
            return pool.invoke(payload, timeout_s, wait_s=wait_s)
        roll = chaos.rng.random()
        if roll < chaos.kill_rate:
            self.journal.log("chaos", f"{fn.logical_id}: killing the instance mid-invocation", corr)
            return pool.invoke(payload, timeout_s, kill_after_s=chaos.rng.uniform(0.0, 0.05), wait_s=wait_s)
        if roll < chaos.kill_rate + chaos.fail_rate:
            result = pool.invoke(payload, timeout_s, wait_s=wait_s)
            self.journal.log(
                "chaos",
                f"{fn.logical_id}: failing the invocation after the function ran "
                f"(it returned {'ok' if result.ok else 'an error'})",
                corr,
            )
            message = "Injected failure after the function ran"
            body = json.dumps({"errorType": "Injected.Failure", "errorMessage": message}).encode()
            return Failure(body, "Injected.Failure", message, duration_ms=result.duration_ms)
        return pool.invoke(payload, timeout_s, wait_s=wait_s)

    def function(self, name_or_arn: str) -> Function:
        fn = self.topology.function(name_or_arn)
        if fn is None or fn.name not in self.pools:
            raise FunctionNotFoundError(name_or_arn)
        return fn

    def config(self, fn: Function) -> EventInvokeConfig:
        return self.invoke_configs.get(fn.name) or self.topology.invoke_config(fn.name)

    # -- synchronous ----------------------------------------------------------------------------------------
    def invoke(
        self,
        name_or_arn: str,
        payload: bytes,
        corr: str,
        via: str,
        timeout_s: float | None = None,
        wait_s: float | None = None,
    ) -> Result:
        """A synchronous invocation. ``wait_s`` bounds the wait for a free instance (``NoFreeInstanceError``);
        a payload over Lambda's 6 MB is refused (``PayloadTooLargeError``), a response over it fails."""
        fn = self.function(name_or_arn)
        if len(payload) > MAX_SYNC_REQUEST_BYTES:
            self.journal.log("invoke", f"{fn.logical_id} via {via}: refused, {len(payload)} byte payload", corr)
            raise PayloadTooLargeError(len(payload))
        # RIE enforces the function timeout; the margin covers the lazy init of a cold instance.
        result = self._run(fn, payload, timeout_s if timeout_s is not None else fn.timeout_s + 30, corr, wait_s)
        if result.ok and len(result.body) > MAX_SYNC_RESPONSE_BYTES:
            message = f"Response payload size exceeded maximum allowed payload size ({MAX_SYNC_RESPONSE_BYTES} bytes)."
            body = json.dumps({"errorType": "Function.ResponseSizeTooLarge", "errorMessage": message}).encode()
            result = Failure(body, "Function.ResponseSizeTooLarge", message, duration_ms=result.duration_ms)
        self._log_result(fn, result, corr, via)
        return result

    def _log_result(self, fn: Function, result: Result, corr: str, via: str, extra: str = "") -> None:
        message = " ".join((result.error_message or "").split())[:160]
        status = "ok" if result.ok else f"ERROR {result.error_type}: {message}"
        self.journal.log(
            "invoke",
            f"{fn.logical_id} ({fn.service}) via {via}{extra}: {status} [{result.duration_ms:.0f} ms]",
            corr,
            function=fn.name,
            ok=result.ok,
        )

    # -- asynchronous ---------------------------------------------------------------------------------------
    def invoke_async(self, name_or_arn: str, payload: bytes, corr: str | None, via: str) -> str:
        """Queue an Event invocation (what Invoke with InvocationType=Event returns 202 for)."""
        fn = self.function(name_or_arn)
        request_id = str(uuid.uuid4())
        event = AsyncEvent(fn, payload, request_id, corr or request_id[:8], self.clock.now())
        self.journal.log("async", f"{fn.logical_id} queued via {via} (request {request_id})", event.corr)
        self.scheduler.submit(lambda: self._attempt(event))
        return request_id

    def _attempt(self, ev: AsyncEvent) -> None:
        cfg = self.config(ev.function)
        if self.clock.aws_elapsed(ev.enqueued) > cfg.max_event_age_s:
            self._finish(ev, EVENT_AGE_EXCEEDED)
            return
        try:
            result = self._run(ev.function, ev.payload, ev.function.timeout_s + 30, ev.corr)
        except Exception as exc:  # the pool is closing: the runner stops
            self.journal.log("async", f"{ev.function.logical_id} dropped at shutdown: {exc}", ev.corr)
            return
        ev.attempts += 1
        ev.last = result
        self._log_result(ev.function, result, ev.corr, "async", f" attempt {ev.attempts}/{cfg.max_retries + 1}")
        if result.ok:
            self._finish(ev, SUCCESS)
        elif ev.attempts <= cfg.max_retries:
            delay = RETRY_DELAYS_S[min(ev.attempts - 1, len(RETRY_DELAYS_S) - 1)]
            scaled = self.clock.scaled(delay)
            self.journal.log("retry", f"{ev.function.logical_id} retry in {scaled:.2f} s (AWS: {delay:.0f} s)", ev.corr)
            self.scheduler.call_later(scaled, lambda: self._attempt(ev))
        else:
            self._finish(ev, RETRIES_EXHAUSTED)

    def _finish(self, ev: AsyncEvent, condition: str) -> None:
        cfg = self.config(ev.function)
        last = ev.last
        outcome = Outcome(
            condition=condition,
            request_id=ev.request_id,
            function_arn=ev.function.arn,
            invoke_count=max(ev.attempts, 1) if condition != EVENT_AGE_EXCEEDED else ev.attempts,
            request_payload=ev.payload,
            response_payload=None if last is None else last.body,
            function_error=None if last is None or last.ok else "Unhandled",
            timestamp=self.clock.now(),
        )
        destination = cfg.on_success if condition == SUCCESS else cfg.on_failure
        if destination:
            self._deliver(destination, outcome, ev)
        if condition != SUCCESS:
            if ev.function.dlq_arn:
                self._to_dlq(ev, last)
            if not destination and not ev.function.dlq_arn:
                self.journal.log("dropped", f"{ev.function.logical_id}: {condition}, no destination or DLQ", ev.corr)

    def _deliver(self, destination: str, outcome: Outcome, ev: AsyncEvent) -> None:
        record = destination_record(outcome)
        body = json.dumps(record)
        service = arn_service(destination)
        try:
            if service == "sqs":
                self.clients.sqs.send_message(QueueUrl=self.clients.queue_url(destination), MessageBody=body)
            elif service == "sns":
                self.clients.sns.publish(TopicArn=destination, Message=body)
            elif service == "events":
                resp = self.clients.events.put_events(
                    Entries=[
                        {
                            "Source": "lambda",
                            "DetailType": destination_detail_type(outcome.condition),
                            "Detail": body,
                            "Resources": [destination, f"{ev.function.arn}:$LATEST"],
                            "EventBusName": bus_name_from_arn(destination),
                        }
                    ]
                )
                if resp.get("FailedEntryCount"):
                    raise RuntimeError(f"PutEvents failed: {resp['Entries']}")
            elif service == "lambda":
                self.invoke_async(function_name_from_arn(destination), body.encode(), ev.corr, "destination")
                return
            else:
                raise ValueError(f"unsupported destination {destination}")
        except Exception as exc:
            self.journal.log(
                "dest-fail", f"{ev.function.logical_id} {outcome.condition} -> {destination}: {exc}", ev.corr
            )
            return
        self.journal.log(
            "destination", f"{ev.function.logical_id} {outcome.condition} -> {_short(destination)}", ev.corr
        )

    def _to_dlq(self, ev: AsyncEvent, last: Result | None) -> None:
        dlq = ev.function.dlq_arn
        assert dlq is not None
        message = "" if last is None else (last.error_message or last.error_type or "")
        attributes = dlq_message_attributes(ev.request_id, message)
        try:
            if arn_service(dlq) == "sns":
                self.clients.sns.publish(
                    TopicArn=dlq,
                    Message=ev.payload.decode(),
                    MessageAttributes={
                        k: {"DataType": v["DataType"], "StringValue": v["StringValue"]} for k, v in attributes.items()
                    },
                )
            else:
                self.clients.sqs.send_message(
                    QueueUrl=self.clients.queue_url(dlq), MessageBody=ev.payload.decode(), MessageAttributes=attributes
                )
        except Exception as exc:
            self.journal.log("dlq-fail", f"{ev.function.logical_id} -> {dlq}: {exc}", ev.corr)
            return
        self.journal.log("dlq", f"{ev.function.logical_id} -> {_short(dlq)}", ev.corr)


def _short(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]
