"""Pollers: SQS event source mappings, and the shadow queues that stand in for Lambda targets in moto."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from localrun.clock import Clock
from localrun.journal import Journal
from localrun.model import EventSourceMapping, Function, Queue
from localrun.pool import Result
from localrun.records.payload import parse_payload
from localrun.records.shadow import shadow_to_lambda_event
from localrun.records.sqs import failed_message_ids, sqs_event
from localrun.traces import TraceStore, trace_of_message

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

# A message on a shadow queue that the runner cannot hand over (a bug, or a body nothing can read) is tried this
# many times, SHADOW_RETRY_DELAY_S apart, then moved to this queue of the local endpoint with a journal line.
SHADOW_MAX_RECEIVES = 3
SHADOW_RETRY_DELAY_S = 1
SHADOW_DLQ_NAME = "localrun-dead-letters"


class Invoker(Protocol):
    """What a poller needs of the Lambda control plane."""

    def invoke(self, name_or_arn: str, payload: bytes, corr: str, via: str) -> Result: ...

    def invoke_async(self, name_or_arn: str, payload: bytes, corr: str | None, via: str) -> str: ...


class Poller:
    """Threads that call :meth:`poll_once` until stopped; an error is logged and retried a second later."""

    def __init__(self, name: str, journal: Journal) -> None:
        self.name = name
        self.journal = journal
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, threads: int = 1) -> None:
        for i in range(threads):
            t = threading.Thread(target=self._loop, name=f"{self.name}-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        for t in self._threads:
            t.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:
                if self._stop.is_set():
                    return
                self.journal.log("poller", f"{self.name}: {exc!r}")
                self._stop.wait(1.0)

    def poll_once(self) -> None:
        raise NotImplementedError


class SqsEventSourcePoller(Poller):
    """Lambda's SQS poller: batch, invoke synchronously, delete successes, leave failures to the visibility timeout."""

    def __init__(
        self,
        esm: EventSourceMapping,
        queue: Queue,
        function: Function,
        lambdas: Invoker,
        sqs: SQSClient,
        queue_url: str,
        clock: Clock,
        journal: Journal,
        traces: TraceStore,
    ) -> None:
        super().__init__(f"esm-{queue.logical_id}", journal)
        self.traces = traces
        self.esm = esm
        self.queue = queue
        self.function = function
        self.lambdas = lambdas
        self.clock = clock
        self.sqs = sqs
        self.url = queue_url
        self._patterns = [_event_pattern(p) for p in esm.filter_patterns]

    def _receive(self, count: int, wait_s: int) -> list[MessageTypeDef]:
        # Concurrent receives on one queue are safe: localrun.motoserver serialises them under the queue's lock.
        resp = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max(1, min(10, count)),
            WaitTimeSeconds=wait_s,
            VisibilityTimeout=self.queue.visibility_timeout_s,  # AWS time: nothing redelivers while in flight
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        return resp.get("Messages", [])

    def poll_once(self) -> None:
        batch = self._receive(self.esm.batch_size, 1)
        if not batch:
            return
        deadline = time.monotonic() + self.clock.scaled(self.esm.batching_window_s)
        while len(batch) < self.esm.batch_size and time.monotonic() < deadline and not self._stop.is_set():
            more = self._receive(self.esm.batch_size - len(batch), 0)
            if not more:
                time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
            batch.extend(more)
        batch = self._filter(batch)
        if batch:
            self._process(batch)

    def _filter(self, batch: list[MessageTypeDef]) -> list[MessageTypeDef]:
        if not self._patterns:
            return batch
        kept = []
        for m in batch:
            record = sqs_event([m], self.queue.arn)["Records"][0]
            body = parse_payload(record["body"].encode())
            candidate = {**record, "body": body}
            if any(p.matches_event(candidate) for p in self._patterns):
                kept.append(m)
            else:  # AWS deletes messages that match no filter
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])
                self.journal.log("filtered", f"{self.queue.logical_id}: message {m['MessageId'][:8]} matched no filter")
        return kept

    def _trace(self, m: MessageTypeDef) -> str:
        attributes = {str(k): v for k, v in m.get("Attributes", {}).items()}
        return trace_of_message(self.traces, m["MessageId"], m.get("Body", ""), attributes)

    def _process(self, batch: list[MessageTypeDef]) -> None:
        ids = [m["MessageId"] for m in batch]
        traces = {m["MessageId"]: self._trace(m) for m in batch}
        corr = traces[ids[0]]
        for m in batch:
            receives = m.get("Attributes", {}).get("ApproximateReceiveCount", "1")
            self.journal.log(
                "queue",
                f"{self.queue.logical_id} -> {self.function.logical_id}: message {m['MessageId'][:8]} "
                f"(receive {receives}, batch of {len(batch)})",
                traces[m["MessageId"]],
                queue=self.queue.name,
                message_id=m["MessageId"],
                attempt=int(receives),
            )
        payload = json.dumps(sqs_event(batch, self.queue.arn)).encode()
        result = self.lambdas.invoke(
            self.function.name, payload, corr, f"SQS {self.queue.logical_id} batch of {len(batch)}"
        )
        if not result.ok:
            failed = set(ids)
        elif self.esm.report_batch_item_failures:
            failed = failed_message_ids(parse_payload(result.body), ids)
        else:
            failed = set()
        done = [m for m in batch if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        if failed:
            # Failures stay invisible for the (scaled) visibility timeout, then come back with a higher receive
            # count; moto moves them to the DLQ past maxReceiveCount.
            visibility = int(round(self.clock.scaled(self.queue.visibility_timeout_s)))
            for m in batch:
                if m["MessageId"] in failed:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=visibility
                    )
            for m in batch:
                if m["MessageId"] not in failed:
                    continue
                trace = traces[m["MessageId"]]
                count = int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                redrive = self.queue.redrive
                if redrive is not None and count >= redrive.max_receive_count:
                    # The next receive moves it (moto's redrive, as SQS's): the trace ends in the DLQ.
                    self.journal.log(
                        "dlq",
                        f"{self.queue.logical_id}: message {m['MessageId'][:8]} failed {count} times, "
                        f"to {redrive.dlq_arn.rsplit(':', 1)[-1]}",
                        trace,
                        destination=redrive.dlq_arn,
                        ok=False,
                    )
                else:
                    self.journal.log(
                        "batch",
                        f"{self.queue.logical_id}: message {m['MessageId'][:8]} back to the queue in {visibility} s "
                        f"({len(done)} of the batch deleted)",
                        trace,
                        delay_s=visibility,
                    )


class ShadowQueuePoller(Poller):
    """Drains a shadow queue (moto's stand-in for a Lambda target) and invokes the function asynchronously."""

    def __init__(
        self,
        function_name: str,
        lambdas: Invoker,
        sqs: SQSClient,
        queue_url: str,
        subscription_arn: Callable[[str, str], str | None],
        journal: Journal,
        traces: TraceStore,
    ) -> None:
        super().__init__(f"shadow-{function_name}", journal)
        self.traces = traces
        self.url = queue_url
        self.function_name = function_name
        self.lambdas = lambdas
        self.sqs = sqs
        self._subscription_arn = subscription_arn  # (function, topic ARN) -> the subscription's ARN

    def poll_once(self) -> None:
        resp = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            VisibilityTimeout=60,
            AttributeNames=["ApproximateReceiveCount"],
        )
        for m in resp.get("Messages", []):
            try:
                self._hand_over(m)
            except Exception as exc:  # one bad message must not hold back the others, nor come back forever
                self._failed(m, exc)
                continue
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])

    def _hand_over(self, m: MessageTypeDef) -> None:
        shadow = shadow_to_lambda_event(m["Body"], lambda topic: self._subscription_arn(self.function_name, topic))
        if shadow.skip:
            return
        corr = trace_of_message(self.traces, m["MessageId"], m["Body"], {})
        self.journal.log("hop", f"{shadow.source} -> {self.function_name} (async)", corr, target=self.function_name)
        try:
            self.lambdas.invoke_async(self.function_name, shadow.payload, corr, shadow.source)
        except LookupError:
            self.journal.log("dropped", f"{shadow.source} event for unknown function {self.function_name}", corr)

    def _failed(self, m: MessageTypeDef, exc: Exception) -> None:
        """Retry a message the runner could not hand over a few times, then park it in the dead-letter queue."""
        receives = int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        if receives < SHADOW_MAX_RECEIVES:
            self.journal.log(
                "poller", f"{self.name}: message {m['MessageId'][:8]} not handed over ({exc!r}); retry {receives}"
            )
            self.sqs.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=SHADOW_RETRY_DELAY_S
            )
            return
        dlq = self.sqs.create_queue(QueueName=SHADOW_DLQ_NAME)["QueueUrl"]  # idempotent
        self.sqs.send_message(
            QueueUrl=dlq,
            MessageBody=m["Body"],
            MessageAttributes={
                "function": {"DataType": "String", "StringValue": self.function_name},
                "error": {"DataType": "String", "StringValue": repr(exc)[:1000]},
            },
        )
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])
        self.journal.log(
            "dead-letter",
            f"{self.name}: message {m['MessageId'][:8]} failed {receives} times ({exc!r}); moved to {SHADOW_DLQ_NAME}",
        )


def _event_pattern(pattern: str) -> Any:
    from moto.events.models import EventPattern

    return EventPattern.load(pattern)
