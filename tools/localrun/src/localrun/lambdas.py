"""The Lambda control plane: everything the runner knows and does as the Lambda service.

:class:`LambdaControlPlane` owns the function pools, the event invoke configs set at runtime, the fault injection
(chaos), the shadow registry and its pollers, the SQS event source mappings' pollers and the destinations, behind
typed methods. The AWS endpoint (``localrun.gateway``), the REST API (``localrun.restapi``) and the pollers call
it; nothing reaches into it.

Invocation semantics: sync invoke, async invoke (retries, max event age, destinations, DLQ).
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localrun.clock import Clock, Scheduler
from localrun.destinations import Destinations
from localrun.journal import Journal
from localrun.model import EventInvokeConfig, Function, Topology
from localrun.pollers import Poller, ShadowQueuePoller, SqsEventSourcePoller
from localrun.pool import Failure, FunctionPool, InvokeInfo, Result
from localrun.records.destination import Condition, Outcome
from localrun.shadows import ShadowRegistry
from localrun.traces import TraceStore, new_trace_id, trace_header

# An invocation's input and output kept in its trace (the console shows more on request, up to this).
TRACE_PAYLOAD_BYTES = 64 * 1024

if TYPE_CHECKING:
    from localrun.aws import BackendClients

# AWS's waits before the first and the second async retry.
RETRY_DELAYS_S = (60.0, 120.0)
# Lambda's synchronous payload quotas: a request over this is refused before the function runs (413
# RequestEntityTooLargeException), a response over the second fails the invocation (Function.ResponseSizeTooLarge).
MAX_SYNC_REQUEST_BYTES = 6 * 1024 * 1024
MAX_SYNC_RESPONSE_BYTES = 6 * 1024 * 1024 + 100
# Lambda's asynchronous payload quota (1 MB since 2025, 256 KB before): an Event invocation over it is refused.
MAX_ASYNC_REQUEST_BYTES = 1024 * 1024


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


class LambdaControlPlane:
    """Invokes functions through their pools, the way the Lambda service would, and owns the Lambda state."""

    def __init__(
        self,
        topology: Topology,
        pools: Mapping[str, FunctionPool],
        backend: BackendClients,
        clock: Clock,
        scheduler: Scheduler,
        journal: Journal,
        traces: TraceStore | None = None,
    ) -> None:
        self.topology = topology
        self.traces = traces or TraceStore()
        self._pools = pools
        self._backend = backend
        self.clock = clock
        self._scheduler = scheduler
        self.journal = journal
        self._lock = threading.Lock()
        self._invoke_configs: dict[str, EventInvokeConfig] = {}  # set at runtime through the Lambda API
        self._chaos = Chaos()
        self._destinations = Destinations(backend, journal, self.invoke_async, self.traces)
        self._pollers: list[Poller] = []
        self._pending: dict[str, AsyncEvent] = {}  # async invocations not finished yet, by request id
        self.shadows = ShadowRegistry(backend.sqs, self._start_shadow_poller)

    # -- functions ------------------------------------------------------------------------------------------
    def recycle(self, names: list[str], warm: int = 1) -> None:
        """Hot reload: the next invocation of each function runs on an instance started now (``warm`` of them
        started before returning); invocations in flight finish on the instance they have."""
        for name in names:
            self._pools[name].recycle()

        def start(name: str) -> None:
            try:
                self._pools[name].warm(warm)
            except Exception as exc:  # the next invocation reports it as an init error, as Lambda would
                self.journal.log("reload", f"{name}: could not start an instance: {exc}")

        # In parallel: a container takes a second to start, and a shared library's change recycles them all.
        starters = [threading.Thread(target=start, args=(name,)) for name in names]
        for t in starters:
            t.start()
        for t in starters:
            t.join()

    def function(self, name_or_arn: str) -> Function:
        fn = self.topology.function(name_or_arn)
        if fn is None or fn.name not in self._pools:
            raise FunctionNotFoundError(name_or_arn)
        return fn

    def functions(self) -> list[Function]:
        return [f for f in self.topology.functions if f.name in self._pools]

    # -- event invoke configs -------------------------------------------------------------------------------
    def invoke_config(self, fn: Function) -> EventInvokeConfig:
        with self._lock:
            current = self._invoke_configs.get(fn.name)
        return current or self.topology.invoke_config(fn.name)

    def put_invoke_config(self, config: EventInvokeConfig) -> None:
        with self._lock:
            self._invoke_configs[config.function_name] = config

    # -- fault injection ------------------------------------------------------------------------------------
    @property
    def chaos(self) -> Chaos:
        return self._chaos

    def set_chaos(self, chaos: Chaos) -> None:
        self._chaos = chaos  # one reference swap: an invocation sees the old or the new settings, never a mix
        self.journal.log("chaos", f"fault injection set to {chaos.describe()}")

    # -- event sources --------------------------------------------------------------------------------------
    def start_event_source_mappings(self, threads_per_queue: int) -> None:
        for esm in self.topology.event_source_mappings:
            queue = self.topology.queue_by_arn(esm.source_arn)
            target = self.topology.function(esm.function_name)
            if not esm.enabled or queue is None or target is None:
                self.journal.log(
                    "esm", f"{esm.logical_id}: not started (disabled, or queue/function outside the selected stacks)"
                )
                continue
            poller = SqsEventSourcePoller(
                esm,
                queue,
                target,
                self,
                self._backend.sqs,
                self._backend.queue_url(queue.arn),
                self.clock,
                self.journal,
                self.traces,
            )
            poller.start(1 if queue.fifo else threads_per_queue)
            with self._lock:
                self._pollers.append(poller)

    def _start_shadow_poller(self, function_name: str, queue_url: str) -> None:
        poller = ShadowQueuePoller(
            function_name, self, self._backend.sqs, queue_url, self.shadows.subscription_arn, self.journal, self.traces
        )
        poller.start()
        with self._lock:
            self._pollers.append(poller)

    def stop_pollers(self) -> None:
        with self._lock:
            pollers = list(self._pollers)
        for p in pollers:
            p.stop()
        for p in pollers:
            p.join(3.0)

    def _run(
        self,
        fn: Function,
        payload: bytes,
        timeout_s: float,
        corr: str,
        wait_s: float | None = None,
        info: InvokeInfo | None = None,
    ) -> Result:
        """One invocation on the function's pool, with fault injection when it is switched on."""
        pool = self._pools[fn.name]
        chaos = self._chaos
        info = info or InvokeInfo()
        info.trace_header = trace_header(corr)
        if not chaos.applies(fn):
            return pool.invoke(payload, timeout_s, wait_s=wait_s, info=info)
        roll = chaos.rng.random()
        if roll < chaos.kill_rate:
            self.journal.log("chaos", f"{fn.logical_id}: killing the instance mid-invocation", corr)
            return pool.invoke(payload, timeout_s, kill_after_s=chaos.rng.uniform(0.0, 0.05), wait_s=wait_s, info=info)
        if roll < chaos.kill_rate + chaos.fail_rate:
            result = pool.invoke(payload, timeout_s, wait_s=wait_s, info=info)
            self.journal.log(
                "chaos",
                f"{fn.logical_id}: failing the invocation after the function ran "
                f"(it returned {'ok' if result.ok else 'an error'})",
                corr,
            )
            message = "Injected failure after the function ran"
            body = json.dumps({"errorType": "Injected.Failure", "errorMessage": message}).encode()
            return Failure(body, "Injected.Failure", message, duration_ms=result.duration_ms, logs=result.logs)
        return pool.invoke(payload, timeout_s, wait_s=wait_s, info=info)

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
        info = InvokeInfo()
        result = self._run(fn, payload, timeout_s if timeout_s is not None else fn.timeout_s + 30, corr, wait_s, info)
        if result.ok and len(result.body) > MAX_SYNC_RESPONSE_BYTES:
            message = f"Response payload size exceeded maximum allowed payload size ({MAX_SYNC_RESPONSE_BYTES} bytes)."
            body = json.dumps({"errorType": "Function.ResponseSizeTooLarge", "errorMessage": message}).encode()
            result = Failure(
                body, "Function.ResponseSizeTooLarge", message, duration_ms=result.duration_ms, logs=result.logs
            )
        self._log_result(fn, result, corr, via, payload=payload, cold=info.cold)
        return result

    def _log_result(
        self,
        fn: Function,
        result: Result,
        corr: str,
        via: str,
        extra: str = "",
        *,
        payload: bytes = b"",
        cold: bool = False,
        attempt: int = 1,
        attempts: int = 1,
    ) -> None:
        message = " ".join((result.error_message or "").split())[:160]
        status = "ok" if result.ok else f"ERROR {result.error_type}: {message}"
        self.journal.log(
            "invoke",
            f"{fn.logical_id} ({fn.service}) via {via}{extra}: {status} [{result.duration_ms:.0f} ms]",
            corr,
            function=fn.name,
            ok=result.ok,
            via=via,
            cold=cold,
            duration_ms=round(result.duration_ms, 1),
            attempt=attempt,
            attempts=attempts,
            error_type=result.error_type,
            input=payload[:TRACE_PAYLOAD_BYTES].decode(errors="replace"),
            input_bytes=len(payload),
            output=result.body[:TRACE_PAYLOAD_BYTES].decode(errors="replace"),
            output_bytes=len(result.body),
            logs=list(result.logs),
        )

    # -- asynchronous ---------------------------------------------------------------------------------------
    def invoke_async(self, name_or_arn: str, payload: bytes, corr: str | None, via: str) -> str:
        """Queue an Event invocation (what Invoke with InvocationType=Event returns 202 for)."""
        fn = self.function(name_or_arn)
        request_id = str(uuid.uuid4())
        event = AsyncEvent(fn, payload, request_id, corr or new_trace_id(), self.clock.now())
        self.traces.link(request_id, event.corr)
        self.journal.log("async", f"{fn.logical_id} queued via {via} (request {request_id})", event.corr)
        self._queue(event)
        return request_id

    def _queue(self, event: AsyncEvent) -> None:
        with self._lock:
            self._pending[event.request_id] = event
        self._scheduler.submit(lambda: self._attempt(event))

    def pending_async(self) -> list[AsyncEvent]:
        """Async invocations queued, running or waiting for a retry (what a stop would otherwise lose)."""
        with self._lock:
            return list(self._pending.values())

    def resume_async(self, name: str, payload: bytes, request_id: str, corr: str, age_s: float, attempts: int) -> None:
        """Queue again an async invocation saved at the last stop. Its attempts and its age (in AWS seconds) at
        the stop count; the time the runner was stopped does not (the local Lambda service was not running)."""
        fn = self.function(name)
        self.journal.log("async", f"{fn.logical_id} resumed after a restart (attempts so far {attempts})", corr)
        enqueued = self.clock.now() - age_s * self.clock.scale
        self._queue(AsyncEvent(fn, payload, request_id, corr, enqueued, attempts))

    def _attempt(self, ev: AsyncEvent) -> None:
        cfg = self.invoke_config(ev.function)
        if self.clock.aws_elapsed(ev.enqueued) > cfg.max_event_age_s:
            self._finish(ev, Condition.EVENT_AGE_EXCEEDED)
            return
        info = InvokeInfo()
        try:
            result = self._run(ev.function, ev.payload, ev.function.timeout_s + 30, ev.corr, info=info)
        except Exception as exc:  # the pool is closing: the runner stops
            self.journal.log("async", f"{ev.function.logical_id} dropped at shutdown: {exc}", ev.corr)
            return
        ev.attempts += 1
        ev.last = result
        self._log_result(
            ev.function,
            result,
            ev.corr,
            "async",
            f" attempt {ev.attempts}/{cfg.max_retries + 1}",
            payload=ev.payload,
            cold=info.cold,
            attempt=ev.attempts,
            attempts=cfg.max_retries + 1,
        )
        if result.ok:
            self._finish(ev, Condition.SUCCESS)
        elif ev.attempts <= cfg.max_retries:
            delay = RETRY_DELAYS_S[min(ev.attempts - 1, len(RETRY_DELAYS_S) - 1)]
            scaled = self.clock.scaled(delay)
            self.journal.log(
                "retry",
                f"{ev.function.logical_id} retry in {scaled:.2f} s (AWS: {delay:.0f} s)",
                ev.corr,
                delay_s=scaled,
                aws_delay_s=delay,
            )
            self._scheduler.call_later(scaled, lambda: self._attempt(ev))
        else:
            self._finish(ev, Condition.RETRIES_EXHAUSTED)

    def _finish(self, ev: AsyncEvent, condition: Condition) -> None:
        with self._lock:
            self._pending.pop(ev.request_id, None)
        cfg = self.invoke_config(ev.function)
        last = ev.last
        outcome = Outcome(
            condition=condition,
            request_id=ev.request_id,
            function_arn=ev.function.arn,
            invoke_count=max(ev.attempts, 1) if condition != Condition.EVENT_AGE_EXCEEDED else ev.attempts,
            request_payload=ev.payload,
            response_payload=None if last is None else last.body,
            function_error=None if last is None or last.ok else "Unhandled",
            timestamp=self.clock.now(),
        )
        destination = cfg.on_success if condition == Condition.SUCCESS else cfg.on_failure
        if destination:
            self._destinations.deliver(destination, outcome, ev.function, ev.corr)
        if condition != Condition.SUCCESS:
            if ev.function.dlq_arn:
                message = "" if last is None else (last.error_message or last.error_type or "")
                self._destinations.to_dlq(ev.function, ev.payload, ev.request_id, message, ev.corr)
            if not destination and not ev.function.dlq_arn:
                self.journal.log(
                    "dropped", f"{ev.function.logical_id}: {condition}, no destination or DLQ", ev.corr, ok=False
                )
