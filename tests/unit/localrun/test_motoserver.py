"""moto in its own process (localrun.motoserver): its patches apply to the pinned moto and keep SQS semantics."""

from __future__ import annotations

import inspect
import json
import os
import string
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from localrun import motoserver
from localrun.instance import free_port
from localrun.motoserver import MotoProcess

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoProcess]:
    server = MotoProcess(free_port(), ACCOUNT)
    yield server
    server.stop()


def client(server: MotoProcess, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_every_patch_applies_to_the_pinned_moto() -> None:
    # In a fresh interpreter: the patches change moto's classes for good.
    patches = [name for name in dir(motoserver) if name.startswith("patch_")]
    code = f"from localrun import motoserver as m; print(*[getattr(m, p)() for p in {patches!r}])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    applied = inspect.getsource(motoserver._apply_each)
    assert [p for p in patches if f"{p}()" not in applied] == []  # apply_patches applies each one
    assert out.stdout.split() == ["True"] * len(patches), out.stderr


def test_sqs_counts_visibility_and_delay_are_unchanged(moto: MotoProcess) -> None:
    sqs = client(moto, "sqs")
    url = sqs.create_queue(QueueName=f"q{time.monotonic_ns()}")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(5)])
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)

    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=60)["Messages"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert len(got) == 2
    assert attrs["ApproximateNumberOfMessages"] == "3"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "2"
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert {m["Body"] for m in rest} == {"m0", "m1", "m2", "m3", "m4"} - {m["Body"] for m in got}

    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "4"


def test_a_receive_takes_the_oldest_visible_messages_and_a_fifo_group_in_flight_gives_no_other(
    moto: MotoProcess,
) -> None:
    sqs = client(moto, "sqs")
    # GIVEN a standard queue whose oldest messages are in flight or delayed, then visible ones
    url = sqs.create_queue(QueueName=f"o{time.monotonic_ns()}")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"early{i}"} for i in range(3)])
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=60)
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=60)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"v{i}"} for i in range(6)])
    # WHEN two messages are received, then the rest
    first = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]]
    rest = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    # THEN they come oldest first, past those in flight and delayed, and the count of visible ones is moto's
    assert (first, rest) == (["v0", "v1"], ["v2", "v3", "v4", "v5"])
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    # AND in a FIFO queue, a group with a message in flight gives no other until it is deleted
    fifo = sqs.create_queue(
        QueueName=f"f{time.monotonic_ns()}.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    for group, body in (("g1", "a"), ("g1", "b"), ("g2", "c")):
        sqs.send_message(QueueUrl=fifo, MessageBody=body, MessageGroupId=group)
    a = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=1)["Messages"][0]
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]] == ["c"]
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=a["ReceiptHandle"])
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]] == ["b"]


def test_a_message_becomes_visible_again_after_its_timeout(moto: MotoProcess) -> None:
    sqs = client(moto, "sqs")
    url = sqs.create_queue(QueueName=f"v{time.monotonic_ns()}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="again")
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)

    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3, AttributeNames=["ApproximateReceiveCount"])
    assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_deletes_accept_old_and_repeated_receipt_handles_and_refuse_unknown_ones(moto: MotoProcess) -> None:
    sqs = client(moto, "sqs")
    url = sqs.create_queue(QueueName=f"d{time.monotonic_ns()}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="one")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["ReceiptHandle"]
    second = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"][0]["ReceiptHandle"]
    assert first != second

    sqs.delete_message(QueueUrl=url, ReceiptHandle=first)  # an earlier handle of the message still deletes it
    sqs.delete_message(QueueUrl=url, ReceiptHandle=second)  # and deleting again is fine

    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")


def test_concurrent_senders_and_consumers_lose_nothing_and_resurrect_nothing(moto: MotoProcess) -> None:
    # An ingest sending with several threads while two pollers receive and delete: unpatched moto lost messages
    # and brought deleted ones back.
    url = client(moto, "sqs").create_queue(QueueName=f"race{time.monotonic_ns()}")["QueueUrl"]
    senders, batches = 4, 100
    seen: list[str] = []
    done = threading.Event()

    def send(k: int) -> None:
        sqs = client(moto, "sqs")
        for i in range(batches):
            entries = [{"Id": str(j), "MessageBody": f"{k}-{i}-{j}"} for j in range(10)]
            sqs.send_message_batch(QueueUrl=url, Entries=entries)

    def consume() -> None:
        sqs = client(moto, "sqs")
        while not done.is_set():
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=600)
            messages = got.get("Messages", [])
            if messages:
                seen.extend(m["Body"] for m in messages)
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
                assert not sqs.delete_message_batch(QueueUrl=url, Entries=entries).get("Failed")

    threads = [threading.Thread(target=send, args=(k,)) for k in range(senders)]
    consumers = [threading.Thread(target=consume) for _ in range(3)]
    for t in threads + consumers:
        t.start()
    for t in threads:
        t.join()
    deadline = time.monotonic() + 60
    while len(seen) < senders * batches * 10 and time.monotonic() < deadline:
        time.sleep(0.2)
    done.set()
    for t in consumers:
        t.join()

    attrs = client(moto, "sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert sorted(seen) == sorted(f"{k}-{i}-{j}" for k in range(senders) for i in range(batches) for j in range(10))
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


RACE = """
import sys, threading
sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can: a check-then-write gap gets hit
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.exceptions import ConditionalCheckFailed
from moto.dynamodb.models import dynamodb_backends
from localrun import motoserver
if sys.argv[1] in ("patched", "parsed once"):
    assert motoserver.patch_dynamodb_atomic_writes()
if sys.argv[1] == "parsed once":  # every thread evaluates the one remembered tree of the condition
    assert motoserver.patch_dynamodb_condition_cache()
backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
backend.create_table(
    "claims", schema=[{"AttributeName": "id", "KeyType": "HASH"}], throughput=None,
    attr=[{"AttributeName": "id", "AttributeType": "S"}], global_indexes=None, indexes=None, streams=None,
    billing_mode="PAY_PER_REQUEST", sse_specification=None, tags=[], deletion_protection_enabled=None,
    warm_throughput=None,
)
wins, keys, contenders = [], 200, 8
barrier = threading.Barrier(contenders)
def contend(n):
    for k in range(keys):
        barrier.wait()
        try:
            backend.put_item("claims", {"id": {"S": str(k)}, "by": {"S": str(n)}},
                             condition_expression="attribute_not_exists(id)")
            wins.append(k)
        except ConditionalCheckFailed:
            pass
threads = [threading.Thread(target=contend, args=(n,)) for n in range(contenders)]
[t.start() for t in threads]
[t.join() for t in threads]
print(len(wins) - keys)
"""


@pytest.mark.parametrize(("variant", "extra_winners"), [("patched", 0), ("parsed once", 0), ("unpatched", None)])
def test_concurrent_conditional_puts_of_one_item_let_exactly_one_win(variant: str, extra_winners: int | None) -> None:
    # GIVEN 8 threads racing attribute_not_exists puts of the same 200 items (the checkout's claim, in moto's backend)
    out = subprocess.run([sys.executable, "-c", RACE, variant], capture_output=True, text=True, timeout=120, check=True)
    extra = int(out.stdout.strip())
    # THEN with the patch exactly one put per item wins; without it moto lets several through (the reason for it)
    if extra_winners is None:
        assert extra > 0, "moto's conditional writes look atomic now: patch_dynamodb_atomic_writes may be dropped"
    else:
        assert extra == extra_winners


PATHS = """
import sys, jsonpath_ng.ext
from localrun import motoserver
if sys.argv[1] == "patched":
    assert motoserver.patch_event_path_cache()
first, again = jsonpath_ng.ext.parse("$.detail"), jsonpath_ng.ext.parse("$.detail")
print(first is again, [m.value for m in again.find({"detail": {"n": 1}})] == [{"n": 1}])
"""


@pytest.mark.parametrize(("variant", "reused"), [("patched", "True"), ("unpatched", "False")])
def test_event_input_paths_are_compiled_once(variant: str, reused: str) -> None:
    # moto parses eight JSONPaths per target per event; unpatched each parse builds a new parser (the reason)
    out = subprocess.run([sys.executable, "-c", PATHS, variant], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == [reused, "True"]


def test_events_delivered_to_targets_carry_the_account(moto: MotoProcess) -> None:
    sqs, events = client(moto, "sqs"), client(moto, "events")
    url = sqs.create_queue(QueueName=f"e{time.monotonic_ns()}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all-test", EventPattern=json.dumps({"source": ["test.source"]}))
    events.put_targets(Rule="all-test", Targets=[{"Id": "q", "Arn": arn}])

    for n in (1, 2):  # the second event is built with the paths compiled for the first (patch_event_path_cache)
        events.put_events(Entries=[{"Source": "test.source", "DetailType": "t", "Detail": json.dumps({"n": n})}])

    bodies = []
    for _ in range(10):
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, MaxNumberOfMessages=10).get("Messages", [])
        bodies += [json.loads(m["Body"]) for m in got]
        if len(bodies) >= 2:
            break
    assert sorted(b["detail"]["n"] for b in bodies) == [1, 2]
    for body in bodies:
        assert body["account"] == ACCOUNT
        assert list(body)[:5] == ["version", "id", "detail-type", "source", "account"]


def test_s3_notifications_carry_a_sequencer_growing_per_key_and_the_version(moto: MotoProcess) -> None:
    # GIVEN a versioned bucket notifying a queue
    s3, sqs = client(moto, "s3"), client(moto, "sqs")
    bucket = f"b{time.monotonic_ns()}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    url = sqs.create_queue(QueueName=f"n{time.monotonic_ns()}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    # WHEN one key is written 8 times
    versions = [s3.put_object(Bucket=bucket, Key="k.csv", Body=str(i).encode())["VersionId"] for i in range(8)]
    objects = []
    while len(objects) < 8:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            body = json.loads(m["Body"])
            objects += [r["s3"]["object"] for r in body.get("Records", [])]
    # THEN each event names its version, and the sequencers (hex, compared after padding) grow with the writes
    by_version = {o["versionId"]: o["sequencer"] for o in objects}
    sequencers = [by_version[v] for v in versions]
    assert all(int(s, 16) >= 0 for s in sequencers)
    width = max(len(s) for s in sequencers)
    padded = [s.rjust(width, "0") for s in sequencers]
    assert padded == sorted(padded) and len(set(padded)) == 8


def test_stop_ends_the_process() -> None:
    server = MotoProcess(free_port(), ACCOUNT)
    server.stop()
    assert server.proc.poll() is not None


def test_moto_exits_when_its_runner_dies_without_stopping_it() -> None:
    # The runner is a shell that starts moto and is then killed with SIGKILL (it cannot clean up).
    port = free_port()
    code = (
        "import os, time; from localrun.motoserver import MotoProcess; "
        f"m = MotoProcess({port}, {ACCOUNT!r}); print(m.proc.pid, flush=True); time.sleep(600)"
    )
    runner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert runner.stdout is not None
    moto_pid = int(runner.stdout.readline())
    runner.kill()
    runner.wait(10)

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(moto_pid):
        time.sleep(0.2)
    assert not _alive(moto_pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent (now init) has not reaped it yet.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


NUMBERED_TABLE = """
def numbered_table(name):  # a table keyed by a string and a number, and a client for it (inside mock_aws)
    ddb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}])
    return ddb
"""

ANSWERS = (
    """
import sys, boto3
from moto import mock_aws
from localrun import motoserver
"""
    + NUMBERED_TABLE
    + """
if sys.argv[1] == "patched":
    assert motoserver.patch_dynamodb_attribute_values()
nested = {"M": {"s": {"S": "x"}, "l": {"L": [{"N": "1"}, {"M": {"b": {"B": b"\\x00\\xff"}}}, {"NULL": True}]}}}
item = {
    "pk": {"S": "p"}, "sk": {"N": "1"}, "empty": {"S": ""}, "num": {"N": "-1.50E+3"}, "bin": {"B": b"\\x01\\x02"},
    "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"a", b"\\xfe"]}, "null": {"NULL": True},
    "bool": {"BOOL": False}, "map": nested, "list": {"L": [nested, {"L": []}, {"M": {}}]}, "uni": {"S": "caf\\u00e9"},
}
with mock_aws():
    ddb = numbered_table("answers")
    key = {"pk": {"S": "p"}, "sk": {"N": "1"}}
    answers = [
        ddb.put_item(TableName="answers", Item=item, ReturnValues="ALL_OLD"),
        ddb.put_item(TableName="answers", Item=item, ReturnValues="ALL_OLD"),
        ddb.get_item(TableName="answers", Key=key),
        ddb.query(TableName="answers", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}),
        ddb.scan(TableName="answers"),
        ddb.batch_get_item(RequestItems={"answers": {"Keys": [key]}}),
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "answers", "Key": key}}]),
        ddb.update_item(TableName="answers", Key=key, UpdateExpression="SET num = num + :one, added = :m",
                        ExpressionAttributeValues={":one": {"N": "1"}, ":m": nested}, ReturnValues="ALL_NEW"),
    ]
    try:
        ddb.put_item(TableName="answers", Item=item, ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    except ddb.exceptions.ConditionalCheckFailedException as exc:
        answers.append(exc.response.get("Item"))
    answers.append(ddb.delete_item(TableName="answers", Key=key, ReturnValues="ALL_OLD"))
for answer in answers:
    if isinstance(answer, dict):
        answer.pop("ResponseMetadata", None)
    print(repr(answer))
"""
)


def _patched_and_unpatched(script: str) -> dict[str, str]:
    """What ``script`` prints in a fresh interpreter, with its patch ("patched") and without ("unpatched")."""
    return {
        variant: subprocess.run(
            [sys.executable, "-c", script, variant], capture_output=True, text=True, timeout=120, check=True
        ).stdout
        for variant in ("patched", "unpatched")
    }


def test_dynamodb_answers_are_the_same_with_attribute_values_written_directly() -> None:
    # GIVEN every kind of attribute value, nested, through every call that answers with items
    answers = _patched_and_unpatched(ANSWERS)
    # THEN boto3 reads the same answers whichever way moto wrote them
    assert "caf\u00e9" in answers["unpatched"] and "\\xfe" in answers["unpatched"]
    assert answers["patched"] == answers["unpatched"]


TRANSACTIONS = """
import sys, boto3
from moto import mock_aws
from localrun import motoserver
if sys.argv[1] == "patched":
    assert motoserver.patch_dynamodb_transaction_copies()
def table(ddb, name, ranged):
    keys = [("pk", "HASH")] + ([("sk", "RANGE")] if ranged else [])
    schema = [{"AttributeName": k, "KeyType": kind} for k, kind in keys]
    attrs = [{"AttributeName": k, "AttributeType": "S"} for k, _ in keys]
    ddb.create_table(TableName=name, KeySchema=schema, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST",
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
def state(ddb):
    from moto.dynamodb.models import dynamodb_backends  # the stream's records, as moto keeps them
    backend = dynamodb_backends["123456789012"]["us-east-1"]
    out = []
    for name in ("orders", "counts"):
        items = ddb.scan(TableName=name)["Items"]
        shard = backend.tables[name].stream_shard
        records = [(r.record["eventName"], r.record["dynamodb"].get("Keys")) for r in shard.items]
        out.append((name, sorted(items, key=repr), records))
    return out
with mock_aws():
    ddb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    table(ddb, "orders", True)
    table(ddb, "counts", False)
    for i in range(30):
        ddb.put_item(TableName="orders", Item={"pk": {"S": f"u{i % 3}"}, "sk": {"S": f"o{i}"}, "n": {"N": str(i)}})
    ddb.put_item(TableName="counts", Item={"pk": {"S": "c"}, "n": {"N": "1"}, "l": {"L": [{"S": "a"}]}})
    before = state(ddb)
    update = {"Update": {"TableName": "counts", "Key": {"pk": {"S": "c"}},
              "UpdateExpression": "SET n = n + :one, l = list_append(l, :b)",
              "ExpressionAttributeValues": {":one": {"N": "1"}, ":b": {"L": [{"S": "b"}]}}}}
    put = {"Put": {"TableName": "orders", "Item": {"pk": {"S": "u9"}, "sk": {"S": "new"}}}}
    delete = {"Delete": {"TableName": "orders", "Key": {"pk": {"S": "u0"}, "sk": {"S": "o0"}}}}
    failing = {"ConditionCheck": {"TableName": "orders", "Key": {"pk": {"S": "u1"}, "sk": {"S": "o1"}},
               "ConditionExpression": "attribute_not_exists(pk)"}}
    outcomes = []
    for items in ([update, put, delete, failing], [update, put, {"Put": put["Put"]}]):
        try:
            ddb.transact_write_items(TransactItems=items)
            outcomes.append("applied")
        except ddb.exceptions.TransactionCanceledException as exc:
            outcomes.append([r["Code"] for r in exc.response["CancellationReasons"]])
        except Exception as exc:
            outcomes.append(type(exc).__name__)
    after_cancelled = state(ddb)
    ddb.transact_write_items(TransactItems=[update, put, delete])
    print(repr(outcomes))
    print(after_cancelled == before)
    print(repr(before))
    print(repr(state(ddb)))
"""


def test_cancelled_transactions_leave_tables_and_streams_as_moto_leaves_them() -> None:
    # GIVEN two tables with streams, a transaction that updates in place, puts and deletes, then fails a condition,
    # another refused for naming one item twice, then one that succeeds
    answers = {
        variant: subprocess.run(
            [sys.executable, "-c", TRANSACTIONS, variant], capture_output=True, text=True, timeout=120, check=True
        ).stdout.splitlines()
        for variant in ("patched", "unpatched")
    }
    # THEN the cancelled ones change nothing, items or stream records, and the last applies: as moto's own copies do
    outcomes, unchanged, _, after = answers["patched"]
    assert unchanged == "True"
    assert "ConditionalCheckFailed" in outcomes and "'n': {'N': '2'}" in after and "'new'" in after
    assert answers["patched"] == answers["unpatched"]


def test_concurrent_transactions_claiming_one_key_apply_once_and_the_cancelled_leave_nothing(moto: MotoProcess) -> None:
    # GIVEN a table and 8 transactions at once, each claiming one key (put if absent) and writing an item of its own
    ddb = client(moto, "dynamodb")
    table = f"claims{time.monotonic_ns()}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName=table, Item={"pk": {"S": "before"}, "sk": {"S": "kept"}})
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def claim(n: int) -> None:
        own = boto3.client(
            "dynamodb",
            endpoint_url=moto.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        items = [
            {
                "Put": {
                    "TableName": table,
                    "Item": {"pk": {"S": "claim"}, "sk": {"S": "order"}, "by": {"S": str(n)}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": table, "Item": {"pk": {"S": f"order{n}"}, "sk": {"S": "line"}}}},
        ]
        start.wait(10)
        try:
            own.transact_write_items(TransactItems=items)
            outcomes.append(str(n))
        except own.exceptions.TransactionCanceledException:
            outcomes.append("cancelled")

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # THEN one applied and seven were cancelled, and the table holds the winner's two items and what it held before
    winners = [o for o in outcomes if o != "cancelled"]
    assert len(winners) == 1 and outcomes.count("cancelled") == 7
    keys = sorted((i["pk"]["S"], i["sk"]["S"]) for i in ddb.scan(TableName=table)["Items"])
    assert keys == [("before", "kept"), ("claim", "order"), (f"order{winners[0]}", "line")]


ACTIONS = """
import inspect, sys
from unittest import mock
from moto.dynamodb.responses import DynamoHandler
import moto.core.responses as responses
from localrun import motoserver
if sys.argv[1] == "patched":
    assert motoserver.patch_action_lookup()
with mock.patch.object(inspect, "getmembers", wraps=inspect.getmembers) as listing:
    names = [responses.method_names_from_class(DynamoHandler) for _ in range(3)]
actions = ["TransactWriteItems", "GetItem", "ListTagsOfResource", "DescribeDBClusters", "getQueueUrl", "ABCDef", ""]
from moto.core.utils import camelcase_to_underscores as moto_s
converted = [responses.camelcase_to_underscores(a) for a in actions * 2] == [moto_s(a) for a in actions * 2]
print(listing.call_count, all("get_item" in n and "not_an_action" not in n for n in names), converted)
"""


@pytest.mark.parametrize(("variant", "listings"), [("patched", "1"), ("unpatched", "3")])
def test_a_response_class_is_listed_once(variant: str, listings: str) -> None:
    # moto lists the response class's methods to check each request's action; with the patch once per class
    out = subprocess.run(
        [sys.executable, "-c", ACTIONS, variant], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == [listings, "True", "True"], out.stderr  # and actions are named as moto names them


QUEUE_ATTRIBUTES = """
import json
from unittest import mock
import moto.sqs.models as sqs_models
from localrun import motoserver
from localrun.motoserver import _count_not_visible
built = sqs_models.Queue.attributes.fget  # moto's own
assert motoserver.patch_sqs_scans()
backend = sqs_models.sqs_backends["000000000000"]["us-east-1"]
dlq = backend.create_queue("dead")
queues = [
    backend.create_queue("plain"),
    backend.create_queue("ordered.fifo", FifoQueue="true", ContentBasedDeduplication="true"),
    backend.create_queue("secret", KmsMasterKeyId="alias/aws/sqs"),
    backend.create_queue("guarded", Policy=json.dumps({"Version": "2012-10-17", "Statement": []})),
    backend.create_queue("redriven", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq.queue_arn,
                                                              "maxReceiveCount": 3})),
]
for q in queues:
    backend.send_message(q.name, "hello", group_id="g" if q.fifo_queue else None)
same = all(list(q.attributes.items()) == list(built(q).items()) for q in queues)
counted = mock.patch.object(sqs_models.Queue, "approximate_number_of_messages_not_visible",
                            property(mock.Mock(wraps=_count_not_visible)))
with counted as counter:
    backend.send_message("plain", "again")
    scans_per_send = counter.fget.call_count
    attrs = backend.get_queue_attributes("plain", ["ApproximateNumberOfMessages"])
print(same, scans_per_send, attrs)
"""


def test_queue_attributes_are_motos_and_a_send_scans_no_queue() -> None:
    # GIVEN queues of every kind moto builds attributes for (FIFO, KMS, policy, redrive), each holding a message
    out = subprocess.run([sys.executable, "-c", QUEUE_ATTRIBUTES], capture_output=True, text=True, timeout=120)
    same, scans, attrs = out.stdout.split(" ", 2)
    # THEN each queue's attributes are what moto builds, names, order and values
    assert same == "True", out.stderr
    # AND sending a message counted no messages (moto counted all three kinds, per message sent)
    assert scans == "0"
    # AND a count asked for is still counted
    assert attrs.strip() == "{'ApproximateNumberOfMessages': 2}"


REVERT = """
from localrun import motoserver as m
m.apply_patches("runner")
m.apply_patches("another runner")
first = {}
for owner, name, had in m._replaced:
    first.setdefault((id(owner), name), (owner, name, had))
m.revert_patches("runner")
kept = bool(m._replaced)
m.revert_patches("another runner")
back = all(vars(owner).get(name, m._ABSENT) is had for owner, name, had in first.values())
print(kept, back, len(first))
"""


def test_patches_stay_while_a_user_is_left_and_the_last_one_leaves_moto_as_it_was() -> None:
    out = subprocess.run([sys.executable, "-c", REVERT], capture_output=True, text=True, timeout=120, check=True)
    kept, back, replaced = out.stdout.split()
    assert (kept, back) == ("True", "True"), out.stderr
    assert int(replaced) >= 10  # every patch replaced something


QUERIES = """
import sys, boto3
from moto import mock_aws
from localrun import motoserver
if sys.argv[1] == "patched":
    assert motoserver.patch_dynamodb_query_partition()
def table(ddb, name, sort_type):
    keys = [("pk", "HASH", "S")] + ([("sk", "RANGE", sort_type)] if sort_type else [])
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": k, "KeyType": kind} for k, kind, _ in keys],
                     AttributeDefinitions=[{"AttributeName": k, "AttributeType": t} for k, _, t in keys]
                     + [{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "by-g", "Projection": {"ProjectionType": "ALL"},
                                              "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}])
def pages(ddb, **query):
    out, start = [], None
    while True:
        page = ddb.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        page.pop("ResponseMetadata")
        out.append(page)
        start = page.get("LastEvaluatedKey")
        if not start:
            return out
with mock_aws():
    ddb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    table(ddb, "ranged", "S")
    table(ddb, "numbered", "N")
    table(ddb, "hashed", None)
    for u in range(4):
        for i in range(25):
            ddb.put_item(TableName="ranged", Item={"pk": {"S": f"u{u}"}, "sk": {"S": f"o{(i * 7) % 25:02d}"},
                                                   "n": {"N": str(i)}, "g": {"S": f"g{i % 3}"}})
            ddb.put_item(TableName="numbered", Item={"pk": {"S": f"u{u}"}, "sk": {"N": str((i * 7) % 25 - 5)},
                                                     "g": {"S": "x"}})
        ddb.put_item(TableName="hashed", Item={"pk": {"S": f"u{u}"}, "g": {"S": "x"}})
    v = lambda **kw: {f":{k}": ({"N": x} if k.startswith("n") else {"S": x}) for k, x in kw.items()}
    answers = [
        pages(ddb, TableName="ranged", KeyConditionExpression="pk = :p", ExpressionAttributeValues=v(p="u1")),
        pages(ddb, TableName="ranged", KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
              ExpressionAttributeValues=v(p="u2", s="o1")),
        pages(ddb, TableName="ranged", KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
              ExpressionAttributeValues=v(p="u0", a="o05", b="o17"), ScanIndexForward=False),
        pages(ddb, TableName="ranged", KeyConditionExpression="pk = :p AND sk < :s", Limit=4,
              ExpressionAttributeValues=v(p="u3", s="o20")),
        pages(ddb, TableName="ranged", KeyConditionExpression="pk = :p", FilterExpression="n > :n1",
              ProjectionExpression="sk, n", Limit=7, ExpressionAttributeValues=v(p="u1", n1="10")),
        pages(ddb, TableName="ranged", KeyConditionExpression="pk = :p", Select="COUNT",
              ExpressionAttributeValues=v(p="u1")),
        pages(ddb, TableName="ranged", KeyConditionExpression="pk = :p", ExpressionAttributeValues=v(p="nobody")),
        pages(ddb, TableName="ranged", IndexName="by-g", KeyConditionExpression="g = :g",
              ExpressionAttributeValues=v(g="g1")),
        pages(ddb, TableName="numbered", KeyConditionExpression="pk = :p AND sk >= :n0", ScanIndexForward=False,
              Limit=6, ExpressionAttributeValues=v(p="u2", n0="-3")),
        pages(ddb, TableName="hashed", KeyConditionExpression="pk = :p", ExpressionAttributeValues=v(p="u3")),
        pages(ddb, TableName="hashed", KeyConditionExpression="pk = :p", ExpressionAttributeValues=v(p="u9")),
    ]
    print(repr(answers))
"""


def test_queries_answer_as_moto_answers_them() -> None:
    # GIVEN tables with string and number sort keys, a hash-only table and an index, several partitions each
    # WHEN the same queries (conditions, order, limits with paging, filters, projections, counts) run with and
    # without the patch
    answers = [
        subprocess.run([sys.executable, "-c", QUERIES, variant], capture_output=True, text=True, timeout=120)
        for variant in ("patched", "unpatched")
    ]
    # THEN every page of every answer is moto's own
    assert answers[0].returncode == 0, answers[0].stderr
    assert answers[0].stdout == answers[1].stdout
    assert "'Count': 25" in answers[0].stdout  # the queries found what they were meant to


ITEM_COPIES = """
import copy
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from localrun import motoserver

nested = {"M": {"s": {"S": "x"}, "l": {"L": [{"N": "1"}, {"M": {"b": {"B": b"\\x00"}}}, {"NULL": True}]}}}
attrs = {
    "pk": {"S": "p"}, "sk": {"N": "1"}, "bin": {"B": b"\\x01"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1"]},
    "bs": {"BS": [b"a"]}, "null": {"NULL": True}, "bool": {"BOOL": False}, "map": nested,
    "list": {"L": [nested, {"L": []}, {"M": {}}]},
}
with_range = Item(DynamoType({"S": "p"}), DynamoType({"N": "1"}), attrs)
shared = Item(DynamoType({"S": "q"}), None, {"pk": {"S": "q"}, "v": {"S": "x"}})
shared.hash_key = shared.attrs["pk"]  # one node reached twice: the copy must share it too, as deepcopy's memo does
items = [with_range, shared]

def shape(obj, ids):
    # what a copy is: classes, types, values, and which nodes are one object
    if isinstance(obj, Item):
        attrs = {k: shape(v, ids) for k, v in obj.attrs.items()}
        return ("Item", type(obj.attrs).__name__, shape(obj.hash_key, ids), shape(obj.range_key, ids), attrs)
    if isinstance(obj, DynamoType):
        return ("DynamoType", ids.setdefault(id(obj), len(ids)), obj.type, shape(obj.value, ids))
    if isinstance(obj, list):
        return ["list", *[shape(v, ids) for v in obj]]
    if isinstance(obj, dict):
        return ("dict", {k: shape(v, ids) for k, v in obj.items()})
    return repr(obj)

def containers(obj, found):
    # every mutable node: none may be shared between an item and its copy
    if isinstance(obj, Item):
        found.add(id(obj)); found.add(id(obj.attrs))
        for v in (obj.hash_key, obj.range_key, *obj.attrs.values()):
            containers(v, found)
    elif isinstance(obj, DynamoType):
        found.add(id(obj)); containers(obj.value, found)
    elif isinstance(obj, (list, dict)):
        found.add(id(obj))
        for v in (obj.values() if isinstance(obj, dict) else obj):
            containers(v, found)
    return found

by_moto = copy.deepcopy(items)
assert motoserver.patch_dynamodb_item_copies()
assert Item.__deepcopy__.__module__ == "localrun.motoserver"
by_patch = copy.deepcopy(items)
assert shape(by_patch, {}) == shape(by_moto, {})
assert by_patch[1].hash_key is by_patch[1].attrs["pk"]
assert not containers(by_patch, set()) & containers(items, set())
by_patch[0].attrs["map"].value["s"].value = "changed"
by_patch[0].attrs["ss"].value.append("c")
assert items[0].attrs["map"].value["s"].value == "x" and items[0].attrs["ss"].value == ["a", "b"]
print("same")
"""


def test_items_are_copied_as_moto_copies_them() -> None:
    # GIVEN items with every kind of attribute value, nested, and a node reached twice
    # WHEN they are deep-copied by moto's methods and by the patch's
    out = subprocess.run([sys.executable, "-c", ITEM_COPIES], capture_output=True, text=True, timeout=120)
    # THEN the copies are alike (classes, types, values, shared nodes) and neither shares a mutable node with the
    # original: changing a copy leaves the stored item as it was
    assert out.stdout.strip() == "same", out.stderr


CONDITIONS = (
    """
import sys, boto3
from moto import mock_aws
from localrun import motoserver
"""
    + NUMBERED_TABLE
    + """
if sys.argv[1] == "patched":
    assert motoserver.patch_dynamodb_condition_cache()
out = []
def call(fn, **kwargs):
    try:
        answer = fn(**kwargs)
        answer.pop("ResponseMetadata", None)
        out.append(answer)
    except Exception as exc:  # the error moto answers is part of what is compared
        out.append(f"{type(exc).__name__}: {exc}")
with mock_aws():
    ddb = numbered_table("conditions")
    key = {"pk": {"S": "p"}, "sk": {"N": "1"}}
    item = {**key, "v": {"N": "1"}, "tags": {"SS": ["a"]}, "m": {"M": {"x": {"S": "y"}}}}
    put = ddb.put_item
    for _ in range(2):  # the same claim twice: the second must fail, parsed or remembered
        call(put, TableName="conditions", Item=item, ConditionExpression="attribute_not_exists(pk)")
    for value in ("1", "2", "1"):  # one expression, different values: each decides by its own
        call(put, TableName="conditions", Item=item, ConditionExpression="#v = :v",
             ExpressionAttributeNames={"#v": "v"}, ExpressionAttributeValues={":v": {"N": value}})
    for name in ("v", "w"):  # one expression, different names
        call(put, TableName="conditions", Item=item, ConditionExpression="attribute_exists(#a)",
             ExpressionAttributeNames={"#a": name})
    call(put, TableName="conditions", Item=item, ConditionExpression="contains(tags, :t) AND m.x = :y",
         ExpressionAttributeValues={":t": {"S": "a"}, ":y": {"S": "y"}})
    call(put, TableName="conditions", Item=item, ConditionExpression="v = :v",
         ExpressionAttributeValues={":v": {"N": "1"}, ":unused": {"N": "2"}})
    call(put, TableName="conditions", Item=item, ConditionExpression="v = :missing")
    call(put, TableName="conditions", Item=item, ConditionExpression="v = = :v",
         ExpressionAttributeValues={":v": {"N": "1"}})
    for _ in range(2):
        call(ddb.update_item, TableName="conditions", Key=key, UpdateExpression="SET v = v + :one",
             ConditionExpression="v < :max", ExpressionAttributeValues={":one": {"N": "1"}, ":max": {"N": "3"}},
             ReturnValues="ALL_NEW")
    call(ddb.query, TableName="conditions", KeyConditionExpression="pk = :p", FilterExpression="v > :min",
         ExpressionAttributeValues={":p": {"S": "p"}, ":min": {"N": "0"}})
    call(ddb.scan, TableName="conditions", FilterExpression="v > :min", ExpressionAttributeValues={":min": {"N": "9"}})
    call(ddb.transact_write_items, TransactItems=[{"ConditionCheck": {"TableName": "conditions", "Key": key,
         "ConditionExpression": "v = :v", "ExpressionAttributeValues": {":v": {"N": "3"}}}}])
    for _ in range(2):
        call(ddb.delete_item, TableName="conditions", Key=key, ConditionExpression="attribute_exists(pk)")
for answer in out:
    print(repr(answer))
"""
)


def test_conditions_decide_as_moto_decides_when_their_parse_is_remembered() -> None:
    # GIVEN conditional writes, filters and transactions; one expression with different values and names; errors
    answers = _patched_and_unpatched(CONDITIONS)
    # THEN every answer and error is the same with the parse remembered
    assert answers["patched"].count("\n") == 18
    assert answers["patched"] == answers["unpatched"]
    assert "ConditionalCheckFailedException" in answers["patched"]  # the failing ones failed


SNS_SIGNING = """
import base64, json, boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends
from localrun import motoserver
assert motoserver.patch_sns_signing_certificate()
with mock_aws():
    kw = dict(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
    url = sqs.create_queue(QueueName="signed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="signed")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    for i in range(3):  # the first through moto's code, the others through the patch's
        sns.publish(TopicArn=topic, Message=f"m{i}", Subject="s", MessageAttributes={
            "k": {"DataType": "String", "StringValue": "v"}})
    got = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    kept = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]._message_public_keys
    got.sort(key=lambda n: n["Message"])
    first, later = got[0], got[1:]
    for n in later:  # the same notification, field by field, but for what differs per message
        assert sorted(n) == sorted(first), (sorted(n), sorted(first))
        assert {k: v for k, v in n.items() if k not in ("Message", "MessageId", "Timestamp", "Signature")} == {
            k: v for k, v in first.items() if k not in ("Message", "MessageId", "Timestamp", "Signature")}
    assert len(kept) == 1  # one certificate for the subscription, not one per message
    cert = x509.load_pem_x509_certificate(kept[first["SigningCertURL"].rsplit("/", 1)[1]])
    for n in got:  # every message is signed, and verifies against the certificate it points at
        signed = "".join(f"{k}\\n{n[k]}\\n" for k in ("Message", "MessageId", "Timestamp", "TopicArn", "Type"))
        cert.public_key().verify(base64.b64decode(n["Signature"]), signed.encode(), padding.PKCS1v15(), hashes.SHA256())
print("same")
"""


def test_sns_notifications_share_their_subscriptions_certificate_and_stay_signed() -> None:
    # GIVEN an SQS subscription and three published messages
    out = subprocess.run([sys.executable, "-c", SNS_SIGNING], capture_output=True, text=True, timeout=120)
    # THEN the notifications moto's code and the patch make are alike, all verify against the one certificate kept
    assert out.stdout.strip() == "same", out.stderr[-2000:]


RANDOM_STRINGS = """
import json, string, sys, boto3
from moto import mock_aws
from moto.moto_api._internal import mock_random
from localrun import motoserver
if sys.argv[1] == "patched":
    assert motoserver.patch_random_strings()

def draws():
    with mock_aws():
        kw = dict(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        sqs = boto3.client("sqs", **kw)
        url = sqs.create_queue(QueueName="handles")["QueueUrl"]
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "m"} for i in range(10)])
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        handles = [m["ReceiptHandle"] for m in got["Messages"]]
        request_id = got["ResponseMetadata"]["RequestId"]
    strings = {f"{digits}-{lower}": [mock_random.get_random_string(length=20, include_digits=digits, lower_case=lower)
                                     for _ in range(300)] for digits in (True, False) for lower in (True, False)}
    return handles, request_id, strings

def shape(texts):  # the lengths drawn and every character seen
    return sorted({len(t) for t in texts}), "".join(sorted(set("".join(texts))))

mock_random.seed(11)
handles, request_id, strings = draws()
mock_random.seed(11)
again = draws()
print(json.dumps({
    "handles": shape(handles),
    "request id": shape([request_id])[0],
    "strings": {k: shape(v) for k, v in strings.items()},
    "the same seed draws the same": again == (handles, request_id, strings),
    "handles of one receive differ": len(set(handles)) == len(handles),
}))
many = "".join(mock_random.get_random_string(length=52) for _ in range(2000))  # 104,000 characters of 62 letters
counts = [many.count(c) for c in string.ascii_letters + string.digits]
print(json.dumps({"fewest": min(counts), "most": max(counts)}))
"""


def test_request_ids_and_receipt_handles_are_drawn_as_moto_draws_them() -> None:
    # GIVEN receipt handles, a request id and random strings of every kind, drawn twice from one seed
    outs = _patched_and_unpatched(RANDOM_STRINGS)
    answers = {variant: json.loads(out.splitlines()[0]) for variant, out in outs.items()}
    counts = json.loads(outs["patched"].splitlines()[1])
    # THEN with the patch they have moto's lengths and alphabets, and a seed draws the same strings every time
    assert answers["patched"] == answers["unpatched"]
    # every letter is as likely (1,677 of each expected; a letter twice as likely as another would be far out)
    assert 1_450 < counts["fewest"] <= counts["most"] < 1_900
    assert answers["patched"]["handles"] == [[185], string.ascii_lowercase]
    assert answers["patched"]["strings"]["True-False"] == [[20], "".join(sorted(string.ascii_letters + string.digits))]
    assert answers["patched"]["the same seed draws the same"] and answers["patched"]["handles of one receive differ"]


SNS_HTTP = """
import json, sys, threading, time, boto3
from http.server import BaseHTTPRequestHandler, HTTPServer
from moto import mock_aws
from localrun import motoserver
if sys.argv[1] == "patched":
    assert motoserver.patch_sns_http_delivery()
posted = []

class SlowEndpoint(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(1.5)
        posted.append(json.loads(body))
        self.send_response(200); self.end_headers()
    def log_message(self, *args): pass

server = HTTPServer(("127.0.0.1", 0), SlowEndpoint)
threading.Thread(target=server.serve_forever, daemon=True).start()
with mock_aws():
    kw = dict(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
    topic = sns.create_topic(Name="t")["TopicArn"]
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"http://127.0.0.1:{server.server_port}/hook")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:q")
    started = time.monotonic()
    sns.publish(TopicArn=topic, Message="hello")
    answered_s = time.monotonic() - started
    queued = sqs.receive_message(QueueUrl=url).get("Messages", [])
    deadline = time.monotonic() + 10
    while not posted and time.monotonic() < deadline:
        time.sleep(0.05)
print(json.dumps({"answered within 1 s": answered_s < 1, "queued": len(queued),
                  "posted": [(p["Type"], p["Message"]) for p in posted]}))
"""


@pytest.mark.parametrize("variant", ["patched", "moto"])
def test_a_slow_http_subscription_holds_up_no_publisher_and_still_gets_the_notification(variant: str) -> None:
    # GIVEN a topic with an HTTP endpoint answering after 1.5 s and an SQS subscription WHEN a message is published
    out = subprocess.run([sys.executable, "-c", SNS_HTTP, variant], capture_output=True, text=True, timeout=120)
    result = json.loads(out.stdout)
    # THEN both subscriptions get it; patched, Publish answers before the endpoint does (moto's own waits for it)
    assert result["queued"] == 1 and result["posted"] == [["Notification", "hello"]], out.stderr[-2000:]
    assert result["answered within 1 s"] == (variant == "patched")


RECEIVED_COPIES = """
import json, sys, boto3
from moto import mock_aws
from localrun import motoserver
if sys.argv[1] == "patched":
    assert motoserver.patch_sqs_received_copies()
KEEP = ("Body", "MD5OfBody", "MD5OfMessageAttributes", "MessageAttributes")
def seen(got):
    return [{k: m[k] for k in KEEP if k in m} | {"Attributes": {k: v for k, v in m.get("Attributes", {}).items()
            if k in ("MessageGroupId", "ApproximateReceiveCount", "AWSTraceHeader")}}
            for m in got.get("Messages", [])]
with mock_aws():
    sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    attrs = {"s": {"DataType": "String", "StringValue": "v"}, "n": {"DataType": "Number", "StringValue": "7"},
             "b": {"DataType": "Binary", "BinaryValue": b"\\x00\\xff"},
             "c": {"DataType": "String.kind", "StringValue": "x"}}
    trace = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-a-b"}}
    sqs.send_message(QueueUrl=url, MessageBody="with attributes", MessageAttributes=attrs,
                     MessageSystemAttributes=trace)
    out = {"filtered": seen(sqs.receive_message(QueueUrl=url, MessageAttributeNames=["s"], VisibilityTimeout=0,
                                                 MessageSystemAttributeNames=["All"]))}
    # the stored message kept every attribute the first copy was filtered of
    out["all"] = seen(sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], VisibilityTimeout=0,
                                          MessageSystemAttributeNames=["All"]))
    fifo = sqs.create_queue(QueueName="groups.fifo", Attributes={"FifoQueue": "true",
                                                                  "ContentBasedDeduplication": "true"})["QueueUrl"]
    for group, body in (("g1", "a"), ("g1", "b"), ("g2", "c")):
        sqs.send_message(QueueUrl=fifo, MessageBody=body, MessageGroupId=group)
    # a group with a message in flight gives no other until it is deleted
    first = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=1, MessageSystemAttributeNames=["All"])
    out["fifo"] = [seen(first), seen(sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10,
                                                         MessageSystemAttributeNames=["All"]))]
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=first["Messages"][0]["ReceiptHandle"])
    out["fifo"].append(seen(sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)))
    # and a copy is a deep one: equal, sharing no container with the queue's message
    import moto.sqs.models as sqs_models
    stored = sqs_models.sqs_backends["123456789012"]["us-east-1"].queues["plain"]._messages[0]
    copied = sqs_models.deepcopy(stored)
    containers = [k for k, v in vars(stored).items() if isinstance(v, (dict, list, set))]
    out["deep"] = (vars(copied) == vars(stored), [k for k in containers if getattr(copied, k) is getattr(stored, k)])
    groups = {"g1", "g2"}
    out["groups"] = (sqs_models.deepcopy(groups) == groups, sqs_models.deepcopy(groups) is groups)
    # one container under two attributes stays one container in the copy, as deepcopy keeps it
    aliased = sqs_models.Message("id", "body")
    aliased.message_attributes = aliased.system_attributes = {"k": "v"}
    twin = sqs_models.deepcopy(aliased)
    out["aliased"] = (twin.message_attributes is twin.system_attributes,
                      twin.message_attributes is not aliased.message_attributes, twin.message_attributes)
print(json.dumps(out, sort_keys=True, default=repr))
"""


def test_received_messages_are_copied_as_moto_copies_them() -> None:
    # GIVEN messages with every kind of attribute, one received with a filter on them, and FIFO groups in flight
    answers = {
        variant: subprocess.run(
            [sys.executable, "-c", RECEIVED_COPIES, variant], capture_output=True, text=True, timeout=120, check=True
        ).stdout
        for variant in ("patched", "moto")
    }
    # THEN every answer is moto's own, and filtering a copy left the stored message whole
    assert answers["patched"] == answers["moto"]
    out = json.loads(answers["patched"])
    assert set(out["filtered"][0]["MessageAttributes"]) == {"s"}
    assert set(out["all"][0]["MessageAttributes"]) == {"s", "n", "b", "c"}
    assert [[m["Body"] for m in got] for got in out["fifo"]] == [["a"], ["c"], ["b"]]
    assert out["deep"] == [True, []] and out["groups"] == [True, False]
    assert out["aliased"] == [True, True, {"k": "v"}]


PARAMS = """
from collections import OrderedDict
import moto.core.responses as responses
from moto.core.parse import XFormedDict
from localrun import motoserver
moto_s = responses.BaseResponse._get_param
assert motoserver.patch_param_lookup()
patched = responses.BaseResponse._get_param
response = responses.BaseResponse(service_name="sqs")
response.automated_parameter_parsing = True
response.uri_match = {"Bucket": "from the URL", "QueueUrl": "shadowed"}
differ = []
for params in (
    {"QueueUrl": "u", "Empty": None, "Nested": {"Key": "v"}},
    OrderedDict(QueueUrl="u", Empty=None, Nested={"Key": "v"}),
    XFormedDict({"QueueUrl": "u", "Empty": None, "Nested": {"Key": "v"}}),  # moto's case-insensitive map
):
    response.params = params
    for name in ("QueueUrl", "queue_url", "Empty", "Bucket", "Absent", "Nested.Key", "Nested.Absent", 0):
        for default in (None, "default"):
            if patched(response, name, default) != moto_s(response, name, default):
                differ.append((type(params).__name__, name, default))
print(patched is not moto_s, differ)
"""


def test_a_parameter_is_read_as_moto_reads_it() -> None:
    # GIVEN parsed parameters holding a value, a None and a nested map (plain, ordered and moto's case-insensitive
    # maps), and a URL holding another; present, absent, dotted and odd names, with and without a default
    out = subprocess.run([sys.executable, "-c", PARAMS], capture_output=True, text=True, timeout=120, check=True)
    # THEN the patched lookup answers what moto's does, every time
    assert out.stdout.split() == ["True", "[]"], out.stdout + out.stderr


REQUEST_IDS = """
import json
import moto.core.responses as responses
from moto.moto_api._internal import mock_random
from localrun import motoserver
moto_s = responses.BaseResponse._enrich_response
assert motoserver.patch_response_request_id()
patched = responses.BaseResponse._enrich_response
out = []
for headers, body in (
    ({}, '{"Items": [], "Count": 0}'),
    ({"status": 200}, '{"a": "<RequestId"}'),
    ({}, "<R><ResponseMetadata><RequestId>old</RequestId></ResponseMetadata></R>"),
    ({"status": 400}, "<E><RequestId></RequestId><RequestId>x</RequestId></E>"),
    ({}, b"bytes <RequestId>old</RequestId>"),
    ({}, ""),
):
    answers = []
    for enrich in (moto_s, patched):
        mock_random.seed(3)
        answers.append(enrich(dict(headers), body))
    out.append(answers[0] == answers[1])
print(patched is not moto_s, json.dumps(out))
"""


def test_a_request_id_is_written_into_an_answer_as_moto_writes_it() -> None:
    # GIVEN JSON and XML bodies with and without a request id (a body that is bytes, an empty one), from one seed
    out = (
        subprocess.run([sys.executable, "-c", REQUEST_IDS], capture_output=True, text=True, timeout=120, check=True)
        .stdout.strip()
        .split(maxsplit=1)
    )
    # THEN the patched method gives moto's headers and body every time
    assert out == ["True", "[true, true, true, true, true, true]"]
