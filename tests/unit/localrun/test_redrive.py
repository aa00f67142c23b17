"""DLQ redrive with StartMessageMoveTask semantics, against moto's SQS."""

from __future__ import annotations

import io
import json
import time
import urllib.request
from collections.abc import Iterator

import pytest
from localrun.aws import BackendClients
from localrun.instance import free_port
from localrun.journal import Journal
from localrun.model import ACCOUNT_ID, REGION, Queue, Redrive, Topology
from localrun.redrive import MessageMover, TaskStatus, move_task_api
from localrun.traces import TraceStore
from localrun_testing import wait_for


def _arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"


@pytest.fixture()
def mover() -> Iterator[tuple[MessageMover, BackendClients, TraceStore]]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST"))  # noqa: S310
    clients = BackendClients(f"http://127.0.0.1:{port}")
    for name in ("source", "dlq", "other"):
        clients.sqs.create_queue(QueueName=name)
    topology = Topology(
        stacks=("S",),
        queues=(
            Queue("S", "Source", "source", _arn("source"), redrive=Redrive(_arn("dlq"), 3)),
            Queue("S", "Dlq", "dlq", _arn("dlq")),
            Queue("S", "Other", "other", _arn("other")),
        ),
    )
    traces = TraceStore()
    journal = Journal(io.StringIO())
    journal.add_listener(traces.record)
    try:
        yield MessageMover(topology, clients, journal, traces), clients, traces
    finally:
        server.stop()


def _bodies(clients: BackendClients, name: str) -> list[str]:
    url = clients.queue_url(_arn(name))
    got = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return sorted(m["Body"] for m in got.get("Messages", []))


def test_a_move_task_returns_every_dlq_message_to_the_queue_that_dead_lettered_it(
    mover: tuple[MessageMover, BackendClients, TraceStore],
) -> None:
    m, clients, traces = mover
    dlq = clients.queue_url(_arn("dlq"))
    ids = [clients.sqs.send_message(QueueUrl=dlq, MessageBody=f"m{i}")["MessageId"] for i in range(3)]
    traces.link(ids[0], "trace-0")
    # WHEN StartMessageMoveTask names the DLQ only (as `aws sqs start-message-move-task --source-arn` does)
    status, _, body = move_task_api(m, "StartMessageMoveTask", json.dumps({"SourceArn": _arn("dlq")}).encode())
    assert status == 200 and json.loads(body)["TaskHandle"]
    # THEN the task completes, the messages are on the source queue, the DLQ is empty, and traces carry on
    listed = wait_for(
        lambda: [
            t
            for t in json.loads(
                move_task_api(m, "ListMessageMoveTasks", json.dumps({"SourceArn": _arn("dlq")}).encode())[2]
            )["Results"]
            if t["Status"] == "COMPLETED"
        ],
        timeout=10,
    )
    assert listed[0]["ApproximateNumberOfMessagesMoved"] == 3
    assert _bodies(clients, "source") == ["m0", "m1", "m2"] and _bodies(clients, "dlq") == []
    assert [h.kind for h in traces.hops("trace-0")] == ["redrive"]


def test_a_queue_that_is_no_dlq_is_refused_and_one_task_per_source_runs_at_a_time(
    mover: tuple[MessageMover, BackendClients, TraceStore],
) -> None:
    m, clients, _ = mover
    status, headers, body = move_task_api(m, "StartMessageMoveTask", json.dumps({"SourceArn": _arn("other")}).encode())
    assert status == 400 and "Dead Letter Queue" in json.loads(body)["message"]
    assert ("x-amzn-query-error", "InvalidParameterValue;Sender") in headers
    dlq = clients.queue_url(_arn("dlq"))
    for i in range(5):
        clients.sqs.send_message(QueueUrl=dlq, MessageBody=f"slow{i}")
    task = m.start(_arn("dlq"), rate=2)  # 2 a second: still running when the second start comes
    status, _, body = move_task_api(m, "StartMessageMoveTask", json.dumps({"SourceArn": _arn("dlq")}).encode())
    assert status == 400 and "already a task running" in json.loads(body)["message"]
    m.cancel(task.handle)
    wait_for(lambda: task.status == TaskStatus.CANCELLED, timeout=10)
    assert task.moved < 5 and len(_bodies(clients, "dlq")) == 5 - task.moved


def test_one_message_can_be_moved_to_an_explicit_destination(
    mover: tuple[MessageMover, BackendClients, TraceStore],
) -> None:
    m, clients, _ = mover
    dlq = clients.queue_url(_arn("dlq"))
    keep = clients.sqs.send_message(QueueUrl=dlq, MessageBody="stays")["MessageId"]
    move = clients.sqs.send_message(QueueUrl=dlq, MessageBody="goes")["MessageId"]
    assert m.move_one(_arn("dlq"), move, _arn("other"))
    assert not m.move_one(_arn("dlq"), "no-such-message")
    time.sleep(0.1)
    assert _bodies(clients, "other") == ["goes"]
    assert _bodies(clients, "dlq") == ["stays"] and keep
