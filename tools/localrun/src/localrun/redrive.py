"""DLQ redrive with SQS's StartMessageMoveTask semantics (moto 5.2 does not implement it).

A task moves the messages of a dead-letter queue to ``DestinationArn``, or, without one, back to the queue whose
redrive policy names the DLQ; one task per source at a time; it can be listed and cancelled. The console's
"redrive one" moves a single message the same way. Each moved message keeps its trace (the new message id is
linked to it) with a ``redrive`` hop.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from localrun.httpserve import Answer
from localrun.journal import Journal
from localrun.model import Topology, queue_name_from_arn
from localrun.traces import TraceStore, trace_of_message

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

    from localrun.aws import BackendClients

MOVE_ACTIONS = frozenset({"StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask"})


class MoveError(ValueError):
    """The request breaks SQS's rules; ``code`` is SQS's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TaskStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


@dataclass
class MoveTask:
    handle: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    to_move: int
    started: float = field(default_factory=time.time)
    moved: int = 0
    status: TaskStatus = TaskStatus.RUNNING
    failure: str | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "TaskHandle": self.handle,
            "Status": self.status.value,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": int(self.started * 1000),
        }
        if self.destination_arn:
            out["DestinationArn"] = self.destination_arn
        if self.rate:
            out["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            out["FailureReason"] = self.failure
        return out


class MessageMover:
    def __init__(self, topology: Topology, clients: BackendClients, journal: Journal, traces: TraceStore) -> None:
        self.topology = topology
        self._clients = clients
        self._sqs: SQSClient = clients.sqs
        self._journal = journal
        self._traces = traces
        self._lock = threading.Lock()
        self._tasks: list[MoveTask] = []

    # -- what a DLQ redrives to -----------------------------------------------------------------------------
    def sources_of(self, dlq_arn: str) -> list[str]:
        """The queues whose redrive policy names ``dlq_arn``."""
        return [q.arn for q in self.topology.queues if q.redrive is not None and q.redrive.dlq_arn == dlq_arn]

    def _destination(self, source_arn: str, destination_arn: str | None) -> str:
        if destination_arn:
            if queue_name_from_arn(destination_arn) not in {q.name for q in self.topology.queues}:
                self._queue_url(destination_arn)  # raises for a queue that does not exist
            return destination_arn
        sources = self.sources_of(source_arn)
        if not sources:
            raise MoveError("InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.")
        return sources[0]

    def _queue_url(self, arn: str) -> str:
        try:
            return self._clients.queue_url(arn)
        except Exception as exc:
            raise MoveError(
                "ResourceNotFoundException", f"The resource that you specified for {arn} does not exist."
            ) from exc

    # -- the API --------------------------------------------------------------------------------------------
    def start(self, source_arn: str, destination_arn: str | None = None, rate: int | None = None) -> MoveTask:
        url = self._queue_url(source_arn)
        destination = self._destination(source_arn, destination_arn)
        with self._lock:
            if any(t.source_arn == source_arn and t.status == TaskStatus.RUNNING for t in self._tasks):
                raise MoveError(
                    "UnsupportedOperation",
                    "There is already a task running. Only one active task is allowed for a source queue ARN "
                    + "at a given time.",
                )
            attrs = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            count = int(attrs["Attributes"].get("ApproximateNumberOfMessages", "0"))
            task = MoveTask(str(uuid.uuid4()), source_arn, destination_arn, rate, count)
            self._tasks.append(task)
        self._journal.log(
            "redrive",
            f"move task {task.handle[:8]}: {count} message(s) "
            f"{queue_name_from_arn(source_arn)} -> {queue_name_from_arn(destination)}",
        )
        threading.Thread(target=self._run, args=(task, url, destination), name="move-task", daemon=True).start()
        return task

    def tasks(self, source_arn: str) -> list[MoveTask]:
        with self._lock:
            return [t for t in reversed(self._tasks) if t.source_arn == source_arn]

    def cancel(self, handle: str) -> MoveTask:
        with self._lock:
            task = next((t for t in self._tasks if t.handle == handle), None)
            if task is None or task.status != TaskStatus.RUNNING:
                raise MoveError("ResourceNotFoundException", f"No running task with handle {handle}")
            task.status = TaskStatus.CANCELLING
        return task

    def move_one(self, source_arn: str, message_id: str, destination_arn: str | None = None) -> bool:
        """Move the one message ``message_id`` (the console's "redrive one"); False when it is not there."""
        url = self._queue_url(source_arn)
        destination = self._destination(source_arn, destination_arn)
        seen: list[MessageTypeDef] = []
        try:
            for _ in range(20):  # bounded: a DLQ is read 10 messages at a time
                batch = self._receive(url, visibility_s=30)
                if not batch:
                    return False
                seen.extend(batch)
                found = next((m for m in batch if m["MessageId"] == message_id), None)
                if found is not None:
                    seen.remove(found)
                    self._move(found, url, destination)
                    return True
            return False
        finally:
            for m in seen:  # the others become visible again at once
                self._release(url, m)

    # -- moving ---------------------------------------------------------------------------------------------
    def _receive(self, url: str, visibility_s: int) -> list[MessageTypeDef]:
        resp = self._sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=visibility_s,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return resp.get("Messages", [])

    def _release(self, url: str, m: MessageTypeDef) -> None:
        self._sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)

    def _move(self, m: MessageTypeDef, url: str, destination_arn: str) -> None:
        trace = trace_of_message(self._traces, m["MessageId"], m.get("Body", ""), {})
        args: dict[str, Any] = {"QueueUrl": self._clients.queue_url(destination_arn), "MessageBody": m.get("Body", "")}
        if m.get("MessageAttributes"):
            args["MessageAttributes"] = m["MessageAttributes"]
        with self._traces.producing():  # the consumer may receive it before the link: it waits for it
            sent = self._sqs.send_message(**args)
            self._journal.log(
                "redrive",
                f"message {m['MessageId'][:8]} moved to {queue_name_from_arn(destination_arn)} "
                f"as {sent['MessageId'][:8]}",
                trace,
                queue=queue_name_from_arn(destination_arn),
                message_id=sent["MessageId"],
            )
            self._traces.link(sent["MessageId"], trace)
        self._sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    def _run(self, task: MoveTask, url: str, destination: str) -> None:
        try:
            while task.moved < task.to_move and task.status == TaskStatus.RUNNING:
                batch = self._receive(url, visibility_s=60)
                if not batch:
                    break
                moved = 0
                for m in batch[: task.to_move - task.moved]:
                    if task.status != TaskStatus.RUNNING:  # cancelled mid-batch
                        break
                    self._move(m, url, destination)
                    task.moved += 1
                    moved += 1
                    if task.rate:
                        time.sleep(1.0 / task.rate)
                for m in batch[moved:]:  # not moved (past the count at the start, or cancelled): left in place
                    self._release(url, m)
        except Exception as exc:
            task.status, task.failure = TaskStatus.FAILED, repr(exc)[:500]
            self._journal.log("redrive", f"move task {task.handle[:8]} failed: {exc!r}")
            return
        task.status = TaskStatus.CANCELLED if task.status == TaskStatus.CANCELLING else TaskStatus.COMPLETED
        self._journal.log("redrive", f"move task {task.handle[:8]}: {task.status.value.lower()}, {task.moved} moved")


def move_task_api(mover: MessageMover, action: str, body: bytes) -> Answer:
    """SQS's JSON protocol for the three move-task actions."""
    try:
        doc = json.loads(body or b"{}")
        if action == "StartMessageMoveTask":
            rate = doc.get("MaxNumberOfMessagesPerSecond")
            if rate is not None and not 1 <= int(rate) <= 500:
                raise MoveError("InvalidParameterValue", "MaxNumberOfMessagesPerSecond must be between 1 and 500.")
            task = mover.start(str(doc["SourceArn"]), doc.get("DestinationArn"), int(rate) if rate else None)
            return _ok({"TaskHandle": task.handle})
        if action == "ListMessageMoveTasks":
            limit = int(doc.get("MaxResults", 1))
            return _ok({"Results": [t.describe() for t in mover.tasks(str(doc["SourceArn"]))[:limit]]})
        task = mover.cancel(str(doc["TaskHandle"]))
        return _ok({"ApproximateNumberOfMessagesMoved": task.moved})
    except MoveError as exc:
        return _error(exc.code, str(exc))
    except (KeyError, ValueError, TypeError) as exc:
        return _error("MissingParameter", f"bad request: {exc}")


def _ok(doc: dict[str, Any]) -> Answer:
    return 200, [("Content-Type", "application/x-amz-json-1.0")], json.dumps(doc).encode()


def _error(code: str, message: str) -> Answer:
    doc = {"__type": f"com.amazonaws.sqs#{code}", "message": message}
    return (
        400,
        [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-query-error", f"{code};Sender")],
        json.dumps(doc).encode(),
    )
