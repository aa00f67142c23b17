"""State that survives: moto's backends round-trip through a snapshot; async retries pending at a stop resume."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
from localrun import state
from localrun.assembly import read_assembly
from localrun.clock import Clock
from localrun.instance import free_port
from localrun.journal import Journal
from localrun.model import Function
from localrun.runner import Runner
from localrun.state import PENDING_ASYNC, dump_backends, load_backends
from localrun_testing import FakeFleet, default_behaviour, drain, wait_for
from moto import mock_aws

ASSEMBLY = Path(__file__).parent / "fixtures" / "assembly"
KW: dict[str, Any] = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}


def test_a_snapshot_keeps_items_objects_messages_with_their_receive_counts_topics_and_rules() -> None:
    with mock_aws():
        ddb = boto3.client("dynamodb", **KW)
        ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.put_item(TableName="t", Item={"id": {"S": "1"}, "level": {"N": "7"}})
        boto3.client("s3", **KW).create_bucket(Bucket="kept-bucket")
        boto3.client("s3", **KW).put_object(Bucket="kept-bucket", Key="in.csv", Body=b"sku,7\n")
        sqs = boto3.client("sqs", **KW)
        dlq = sqs.create_queue(QueueName="dlq", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        sqs.send_message(QueueUrl=dlq, MessageBody="poison")
        sqs.receive_message(QueueUrl=dlq)  # received once, not deleted
        boto3.client("sns", **KW).create_topic(Name="alarms")
        events = boto3.client("events", **KW)
        events.create_event_bus(Name="bus")
        events.put_rule(Name="r", EventBusName="bus", EventPattern='{"source": ["x"]}')
        snapshot = dump_backends()

    with mock_aws():  # a fresh moto: empty until the snapshot is loaded
        assert boto3.client("dynamodb", **KW).list_tables()["TableNames"] == []
        assert load_backends(snapshot) is None
        item = boto3.client("dynamodb", **KW).get_item(TableName="t", Key={"id": {"S": "1"}})["Item"]
        assert item["level"] == {"N": "7"}
        assert boto3.client("s3", **KW).get_object(Bucket="kept-bucket", Key="in.csv")["Body"].read() == b"sku,7\n"
        sqs = boto3.client("sqs", **KW)
        got = sqs.receive_message(
            QueueUrl=sqs.get_queue_url(QueueName="dlq")["QueueUrl"], MessageSystemAttributeNames=["All"]
        )["Messages"]
        assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in got] == [("poison", "2")]
        assert [t["TopicArn"].rsplit(":", 1)[1] for t in boto3.client("sns", **KW).list_topics()["Topics"]] == [
            "alarms"
        ]
        assert [r["Name"] for r in boto3.client("events", **KW).list_rules(EventBusName="bus")["Rules"]] == ["r"]


def failing(fn: Function, event: Any) -> Any:
    return default_behaviour(fn, event)  # backtosource fails on {"pass": false}


def _runner(scale: float, state: Path, fleet: FakeFleet) -> Runner:
    port = free_port()
    topology = read_assembly(ASSEMBLY, endpoint=f"http://127.0.0.1:{port}")
    runner = Runner(
        topology,
        fleet.start,
        clock=Clock(scale),
        journal=Journal(),
        port=port,
        api_port=free_port(),
        state_dir=str(state),
    )
    runner.start()
    return runner


def test_an_async_retry_pending_at_a_stop_is_saved_and_resumed_with_its_attempts(tmp_path: Path) -> None:
    # GIVEN an async invocation that failed once and waits for AWS's 60 s retry (real time) when the runner stops
    state = tmp_path / "state"
    fleet = FakeFleet(failing)
    first = _runner(1.0, state, fleet)
    try:
        fn = next(f for f in first.topology.functions if f.logical_id.startswith("backtosourcelambda"))
        boto3.client("events", endpoint_url=first.endpoint, **KW).put_events(
            Entries=[
                {
                    "Source": "backtosource",
                    "DetailType": "Demo",
                    "Detail": '{"pass": false}',
                    "EventBusName": "source_bus",
                }
            ]
        )
        wait_for(lambda: len(fleet.calls.get(fn.name, [])) == 1, timeout=15)
        wait_for(lambda: first.control is not None and first.control.pending_async(), timeout=5)
    finally:
        first.stop()
    saved = json.loads((state / PENDING_ASYNC).read_text())["invocations"]
    assert [(p["function"], p["attempts"]) for p in saved] == [(fn.name, 1)]

    # WHEN the runner starts again on the same state directory
    second = _runner(0.01, state, fleet)
    try:
        # THEN the invocation resumes: its second and last attempt fails, and the on-failure record counts both
        dlq = next(q for q in second.topology.queues if q.logical_id.startswith("ServiceDlq"))
        sqs = boto3.client("sqs", endpoint_url=second.endpoint, **KW)
        [message] = drain(sqs, f"{second.endpoint}/000000000000/{dlq.name}", 1, timeout=15.0)
        record = json.loads(message["Body"])
        assert record["requestContext"]["approximateInvokeCount"] == 2
        assert record["requestPayload"]["detail"] == {"pass": False}
        assert len(fleet.calls[fn.name]) == 2
        assert not (state / PENDING_ASYNC).exists()
    finally:
        second.stop()


def test_a_slow_snapshot_makes_the_next_wait_ten_times_as_long(tmp_path: Path, monkeypatch: Any) -> None:
    # GIVEN snapshots that take 50 ms (pickling holds the interpreter moto shares with the runner), due every 10 ms
    def slow_dump() -> bytes:
        time.sleep(0.05)
        return b"snapshot"

    monkeypatch.setattr(state, "dump_backends", slow_dump)
    snapshotter = state.Snapshotter(tmp_path, interval_s=0.01)
    snapshotter.start()
    # WHEN the state changes all the time for a second
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        snapshotter.changed()
        time.sleep(0.005)
    snapshotter.stop()
    # THEN a save starts at most every 0.5 s (ten times 50 ms) after the first, not every 10 ms (~16 saves), and the
    # last changes are saved at the stop
    assert 2 <= snapshotter.saves <= 4
    assert (tmp_path / state.SNAPSHOT).read_bytes() == b"snapshot"
