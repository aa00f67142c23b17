"""Figure ``endpoint``: the same AWS calls against this project's local endpoint and against free peers.

Backends, each started fresh on a free loopback port and measured back to back under the same load:

* ``localrun`` -- this project's endpoint (``python -m localrun.endpoint``: patched moto behind the runner's
  gateway, exactly what functions call in ``./runlocally.sh``);
* ``moto`` -- plain ``moto_server`` from the workspace venv (no patches);
* ``ministack`` -- ministack from PyPI, in a venv of its own under .cache/ (it pins botocore, so never in the
  workspace venv); skipped with a reason when it cannot be installed.

Calls (warm boto3 client, one at a time; p50/p99): DynamoDB PutItem, GetItem, Query, conditional PutItem,
TransactWriteItems; SQS SendMessage, ReceiveMessage, DeleteMessage, SendMessageBatch (10); EventBridge PutEvents and
PutEvents -> rule -> SQS receivable; S3 PutObject and PutObject -> notification -> SQS receivable; SNS Publish and
Publish -> SQS receivable. Then SQS under load: 4 producers and 3 consumers move a fixed number of messages; every
message must arrive exactly once (lost and duplicated are counted). Loopback only; every loop is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localrun.instance import free_port

from bench.common import REPO, Row, Sheet, boto, wait_port

MINISTACK_VERSION = "1.5.33"
MINISTACK_VENV = REPO / ".cache" / "ministack-venv"
BACKENDS = ("localrun", "moto", "ministack")
START_TIMEOUT_S = 120


@dataclass
class Backend:
    name: str
    endpoint: str
    proc: subprocess.Popen[bytes]
    started_s: float


def _ministack_python() -> Path:
    """ministack's own venv (created on first use with uv, from PyPI)."""
    uv = shutil.which("uv") or str(REPO / ".tools" / "bin" / "uv")  # scripts/bootstrap.sh's
    python = MINISTACK_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([uv, "venv", "-q", str(MINISTACK_VENV), "--python", sys.executable], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(python), f"ministack=={MINISTACK_VERSION}"],
        check=True,
        capture_output=True,
    )
    return python


def _command(name: str, port: int) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if name == "localrun":
        return [sys.executable, "-m", "localrun.endpoint", "--port", str(port)], env
    if name == "moto":
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env
    if name == "ministack":
        env |= {"GATEWAY_PORT": str(port), "BIND_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"}
        return [str(_ministack_python()), "-m", "ministack"], env
    raise ValueError(name)


@contextmanager
def backend(name: str, log: Path) -> Iterator[Backend]:
    port = free_port()
    cmd, env = _command(name, port)
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_port(port, START_TIMEOUT_S)
        endpoint = f"http://127.0.0.1:{port}"
        _first_call(endpoint)
        yield Backend(name, endpoint, proc, time.monotonic() - started)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _first_call(endpoint: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            boto("sqs", endpoint).list_queues()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _receive_one(sqs: Any, url: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1).get("Messages", [])
        if got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
            return
    raise RuntimeError(f"nothing arrived on {url} within {timeout_s} s")


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return str(url), str(arn)


def calls(endpoint: str) -> dict[str, Callable[[int], Any]]:
    """Each measured call, after creating what it needs."""
    ddb, sqs, events, s3, sns = (boto(s, endpoint) for s in ("dynamodb", "sqs", "events", "s3", "sns"))
    tag = uuid.uuid4().hex[:8]
    table = f"bench-{tag}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(20):
        ddb.put_item(TableName=table, Item={"pk": {"S": "q"}, "sk": {"S": f"{i:03d}"}, "n": {"N": str(i)}})
    url, _ = _queue(sqs, f"bench-{tag}")

    events_url, events_arn = _queue(sqs, f"bench-ev-{tag}")
    events.put_rule(Name=f"bench-{tag}", EventPattern=json.dumps({"source": [f"bench.{tag}"]}))
    events.put_targets(Rule=f"bench-{tag}", Targets=[{"Id": "q", "Arn": events_arn}])
    entry = {"Source": f"bench.{tag}", "DetailType": "bench", "Detail": json.dumps({"n": 1})}

    bucket = f"bench-{tag}"
    s3_url, s3_arn = _queue(sqs, f"bench-s3-{tag}")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": s3_arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    sqs.purge_queue(QueueUrl=s3_url)  # the s3:TestEvent
    body = b"x" * 1024

    topic = sns.create_topic(Name=f"bench-{tag}")["TopicArn"]
    sns_url, sns_arn = _queue(sqs, f"bench-sns-{tag}")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sns_arn, Attributes={"RawMessageDelivery": "true"})

    received: list[str] = []  # SendMessage fills the queue, ReceiveMessage takes one each, DeleteMessage deletes them

    def send(i: int) -> None:
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")

    def receive(i: int) -> None:  # noqa: ARG001
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=300)
        received.append(got["Messages"][0]["ReceiptHandle"])

    def delete(i: int) -> None:  # noqa: ARG001
        sqs.delete_message(QueueUrl=url, ReceiptHandle=received.pop())

    return {
        "DynamoDB PutItem": lambda i: ddb.put_item(TableName=table, Item={"pk": {"S": f"p{i}"}, "sk": {"S": "a"}}),
        "DynamoDB GetItem": lambda _: ddb.get_item(TableName=table, Key={"pk": {"S": "q"}, "sk": {"S": "001"}}),
        "DynamoDB Query (20 items)": lambda _: ddb.query(
            TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "q"}}
        ),
        "DynamoDB conditional PutItem": lambda i: ddb.put_item(
            TableName=table,
            Item={"pk": {"S": f"c{i}-{uuid.uuid4().hex}"}, "sk": {"S": "a"}},
            ConditionExpression="attribute_not_exists(pk)",
        ),
        "DynamoDB TransactWriteItems (2 puts)": lambda i: ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": f"t{i}"}, "sk": {"S": "1"}}}},
                {"Put": {"TableName": table, "Item": {"pk": {"S": f"t{i}"}, "sk": {"S": "2"}}}},
            ]
        ),
        "SQS SendMessage": send,
        "SQS ReceiveMessage": receive,
        "SQS DeleteMessage": delete,
        "SQS SendMessageBatch (10)": lambda i: sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(j), "MessageBody": f"b{i}-{j}"} for j in range(10)]
        ),
        "EventBridge PutEvents -> rule -> SQS receivable": lambda _: (
            events.put_events(Entries=[entry]),
            _receive_one(sqs, events_url),
        ),
        "S3 PutObject 1 KB -> notification -> SQS receivable": lambda i: (
            s3.put_object(Bucket=bucket, Key=f"k{i}", Body=body),
            _receive_one(sqs, s3_url),
        ),
        "SNS Publish -> SQS receivable": lambda i: (
            sns.publish(TopicArn=topic, Message=f"m{i}"),
            _receive_one(sqs, sns_url),
        ),
    }


def sqs_load(endpoint: str, messages: int, budget_s: float) -> tuple[float, int, int]:
    """4 producers (batches of 10) and 3 consumers (receive 10, delete in a batch): (seconds, lost, duplicated)."""
    url, _ = _queue(boto("sqs", endpoint), f"bench-load-{uuid.uuid4().hex[:8]}")
    producers, per_producer = 4, messages // 40
    seen: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def produce(k: int) -> None:
        sqs = boto("sqs", endpoint)
        for i in range(per_producer):
            entries = [{"Id": str(j), "MessageBody": f"{k}-{i}-{j}"} for j in range(10)]
            sqs.send_message_batch(QueueUrl=url, Entries=entries)

    def consume() -> None:
        sqs = boto("sqs", endpoint)
        while not stop.is_set():
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=300)
            batch = got.get("Messages", [])
            if batch:
                with lock:
                    seen.update(m["Body"] for m in batch)
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
                sqs.delete_message_batch(QueueUrl=url, Entries=entries)

    started = time.perf_counter()
    threads = [threading.Thread(target=produce, args=(k,)) for k in range(producers)]
    consumers = [threading.Thread(target=consume) for _ in range(3)]
    for t in threads + consumers:
        t.start()
    for t in threads:
        t.join()
    total = producers * per_producer * 10
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        with lock:
            if len(seen) >= total:
                break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    stop.set()
    for t in consumers:
        t.join()
    expected = {f"{k}-{i}-{j}" for k in range(producers) for i in range(per_producer) for j in range(10)}
    lost = len(expected - set(seen))
    duplicated = sum(n - 1 for n in seen.values() if n > 1)
    return elapsed, lost, duplicated


def run(sheet: Sheet, requests: int, load_messages: int, backends: list[str], workdir: Path) -> None:
    """All backends run at once; each call is timed round-robin across them (call i on every backend, then call
    i + 1), so a change in the machine's load hits every backend alike."""
    p50: dict[tuple[str, str], float] = {}
    with ExitStack() as stack:
        running: dict[str, Backend] = {}
        for name in backends:
            try:
                running[name] = stack.enter_context(backend(name, workdir / f"endpoint-{name}.log"))
                sheet.add(Row.runs("endpoint", name, "start to first call", "s", name, [running[name].started_s]))
            except Exception as exc:  # noqa: BLE001 - a peer that cannot start is reported, not fatal
                sheet.add(Row.na("endpoint", name, "-", name, f"could not start: {type(exc).__name__}: {exc}"[:300]))
        prepared = {name: calls(b.endpoint) for name, b in running.items()}
        for call_name in next(iter(prepared.values()), {}):
            series: dict[str, list[float]] = {name: [] for name in prepared}
            failed: dict[str, str] = {}
            for i in range(-20, requests):  # 20 warm-up calls each, not counted
                for name, made in prepared.items():
                    if name in failed:
                        continue
                    t = time.perf_counter()
                    try:
                        made[call_name](i)
                    except Exception as exc:  # noqa: BLE001
                        failed[name] = f"{type(exc).__name__}: {exc}"[:200]
                        continue
                    if i >= 0:
                        series[name].append((time.perf_counter() - t) * 1000)
            for name, values in series.items():
                if name in failed:
                    sheet.add(Row.na("endpoint", name, call_name, name, failed[name]))
                    continue
                row = sheet.add(Row.dist("endpoint", name, call_name, "ms", name, values))
                if row.p50 is not None:
                    p50[(name, call_name)] = row.p50
        for name, b in running.items():
            elapsed, lost, duplicated = sqs_load(b.endpoint, load_messages, 120)
            sheet.add(
                Row.runs(
                    "endpoint",
                    name,
                    f"SQS {load_messages:,} messages, 4 producers + 3 consumers",
                    "s",
                    name,
                    [elapsed],
                    note=f"lost {lost}, duplicated {duplicated}" + (" (within 120 s)" if elapsed > 120 else ""),
                )
            )
    _ratios(sheet, p50, backends)


def _ratios(sheet: Sheet, p50: dict[tuple[str, str], float], backends: list[str]) -> None:
    """ours / the fastest peer's p50, per call (< 1.0: ours is faster)."""
    peers = [b for b in backends if b != "localrun"]
    for (name, call), ours in sorted(p50.items()):
        if name != "localrun":
            continue
        theirs = {peer: p50[(peer, call)] for peer in peers if (peer, call) in p50}
        if not theirs:
            continue
        fastest = min(theirs, key=lambda k: theirs[k])
        parts = ", ".join(f"{peer} {v:.2f} ms" for peer, v in theirs.items())
        print(
            f"  ratio  {call:<55} localrun {ours:.2f} ms / {fastest} {theirs[fastest]:.2f} = "
            f"{ours / theirs[fastest]:.2f}x   ({parts})",
            flush=True,
        )
        sheet.rows.append(
            Row(
                "endpoint",
                "localrun vs fastest peer",
                call,
                "x",
                fastest,
                n=1,
                median=ours / theirs[fastest],
                note=parts,
            )
        )
