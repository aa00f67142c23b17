"""The ingest handler end to end against moto: moto's own S3 notifications in, real S3/SQS calls out."""

from __future__ import annotations

import csv
import importlib
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from inventory_ingest.generate import generate_rows, is_bad
from lambda_common.errors import InvalidInputError

SAMPLE = Path(__file__).parents[3] / "services" / "inventory_ingest" / "samples" / "sample_file.csv"
EVENTS = Path(__file__).parents[3] / "services" / "inventory_ingest" / "events"
HEADER = b"product_id,location,quantity,update_date\n"
REGION = "us-east-1"


@dataclass(frozen=True)
class LambdaContextStub:
    function_name: str = "inventory-ingest"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:inventory-ingest"
    aws_request_id: str = "req-1"


@dataclass
class Env:
    s3: Any
    sqs: Any
    bucket: str
    queue_url: str
    notifications_url: str
    handler: ModuleType

    def invoke(self, event: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.handler.handler(event, LambdaContextStub())
        return result

    def notifications(self) -> list[str]:
        """Bodies of every S3 notification moto has sent so far (including its s3:TestEvent)."""
        bodies: list[str] = []
        while batch := self.sqs.receive_message(QueueUrl=self.notifications_url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for m in batch:
                bodies.append(m["Body"])
                self.sqs.delete_message(QueueUrl=self.notifications_url, ReceiptHandle=m["ReceiptHandle"])
        return bodies

    def queued(self) -> list[str]:
        bodies: list[str] = []
        while batch := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", []):
            for m in batch:
                bodies.append(m["Body"])
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return bodies


@pytest.fixture
def env(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "inventory_ingest")
    monkeypatch.delenv("REJECTS_PREFIX", raising=False)
    monkeypatch.delenv("COALESCE_WINDOW_KEYS", raising=False)
    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    bucket = "inventory-uploads"
    s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName="inventory-updates")["QueueUrl"]
    notifications_url = sqs.create_queue(QueueName="s3-notifications")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=notifications_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    monkeypatch.setenv("INVENTORY_QUEUE_URL", queue_url)
    # Settings are read at import: load the handler afresh against this environment.
    sys.modules.pop("inventory_ingest.handlers.ingest_csv", None)
    handler = importlib.import_module("inventory_ingest.handlers.ingest_csv")
    yield Env(s3, sqs, bucket, queue_url, notifications_url, handler)
    sys.modules.pop("inventory_ingest.handlers.ingest_csv", None)


def upload_and_notify(env: Env, key: str, body: bytes) -> list[dict[str, Any]]:
    """Upload, then invoke the handler with every notification moto sent; return the handler results."""
    env.s3.put_object(Bucket=env.bucket, Key=key, Body=body)
    return [env.invoke(json.loads(n)) for n in env.notifications()]


def test_the_sample_file_reaches_the_queue_as_21_messages(env: Env) -> None:
    # GIVEN the seed's sample file uploaded to the bucket
    # WHEN the handler gets moto's notifications (the s3:TestEvent first, then ObjectCreated)
    results = upload_and_notify(env, "uploads/sample_file.csv", SAMPLE.read_bytes())
    # THEN the test event is ignored and every row is queued once, with a distinct idempotency key
    assert results[0] == {"results": []}
    [summary] = results[1]["results"]
    assert summary["outcome"] == "ingested"
    assert (summary["sent"], summary["superseded"], summary["rejected"]) == (21, 0, 0)
    messages = [json.loads(b) for b in env.queued()]
    assert len(messages) == 21
    assert len({m["idempotency_key"] for m in messages}) == 21
    p001 = next(m for m in messages if m["product_id"] == "P001")
    assert (p001["location"], p001["quantity"], p001["update_date"]) == ("Warehouse A", 100, "2023-05-01")
    assert p001["source"] == {
        "bucket": env.bucket, "key": "uploads/sample_file.csv", "version": p001["source"]["version"], "line": 2,
        "sequencer": None,  # moto's in-process notifications carry none (the local runner's do)
    }  # fmt: skip


def test_url_encoded_keys_are_decoded(env: Env) -> None:
    # GIVEN a key with spaces, parentheses and a plus sign (moto encodes it as S3 does)
    key = "uploads/north warehouse/stock(1)+x.csv"
    # WHEN it is uploaded and notified
    results = upload_and_notify(env, key, HEADER + b"P1,A,1,2023-05-01\n")
    # THEN the object was found under its real key
    assert results[-1]["results"][0]["key"] == key
    assert len(env.queued()) == 1


def test_bad_rows_land_in_a_rejects_report_that_does_not_retrigger_ingest(env: Env) -> None:
    # GIVEN an upload with two bad rows
    body = HEADER + b"P1,A,1,2023-05-01\nP2,A,-3,2023-05-01\nP3,A,7,2023-99-01\nP4,B,2,2023-05-02\n"
    results = upload_and_notify(env, "uploads/mixed.csv", body)
    # THEN the good rows are queued and the report sits next to the upload, under the rejects prefix
    assert [json.loads(b)["product_id"] for b in env.queued()] == ["P1", "P4"]
    report_key = "rejects/uploads/mixed.csv.rejects.csv"
    assert results[-1]["results"][0]["rejects_key"] == report_key
    report = env.s3.get_object(Bucket=env.bucket, Key=report_key)["Body"].read().decode()
    assert list(csv.reader(io.StringIO(report))) == [
        ["line", "reason", "content"],
        ["3", "quantity -3 is negative", "P2,A,-3,2023-05-01"],
        ["4", "update_date '2023-99-01' is not an ISO-8601 date (YYYY-MM-DD) or date-time", "P3,A,7,2023-99-01"],
    ]
    # AND the report's own ObjectCreated notification is skipped
    [skipped] = [env.invoke(json.loads(n)) for n in env.notifications()]
    assert skipped["results"][0]["outcome"] == "skipped"
    assert env.queued() == []


def test_report_cells_a_spreadsheet_would_evaluate_are_neutralised(env: Env) -> None:
    # GIVEN an upload whose bad rows start with formula characters (CSV injection)
    bad = [b'=HYPERLINK("http://x"),A,x,2023-05-01', b"+1+2,A,-1,2023-05-01", b"@SUM(A1),A,1,bad", b"-2,A,?,2023"]
    upload_and_notify(env, "uploads/formula.csv", HEADER + b"\n".join(bad) + b"\n")
    # WHEN the report is read as a spreadsheet would read it
    report = env.s3.get_object(Bucket=env.bucket, Key="rejects/uploads/formula.csv.rejects.csv")["Body"].read()
    rows = list(csv.reader(io.StringIO(report.decode())))[1:]
    # THEN every content cell is text (a leading quote), and still shows the line
    assert [r[2] for r in rows] == ["'" + line.decode() for line in bad]
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_the_sequencer_of_the_notification_travels_with_every_message(env: Env) -> None:
    # GIVEN an ObjectCreated notification with S3's sequencer
    env.s3.put_object(Bucket=env.bucket, Key="uploads/s.csv", Body=HEADER + b"P1,A,1,2023-05-01\nP2,A,2,2023-05-01\n")
    [note] = [json.loads(n) for n in env.notifications() if "Records" in n]
    note["Records"][0]["s3"]["object"]["sequencer"] = "0055AED6DCD90281E5"
    # WHEN it is ingested
    env.invoke(note)
    # THEN each message names it, so the updater can order uploads of this key
    assert [json.loads(b)["source"]["sequencer"] for b in env.queued()] == ["0055AED6DCD90281E5"] * 2


def test_every_record_of_a_notification_is_ingested(env: Env) -> None:
    # GIVEN two uploads whose records arrive in one notification
    for key in ("uploads/a.csv", "uploads/b.csv"):
        env.s3.put_object(Bucket=env.bucket, Key=key, Body=HEADER + b"P1,A,1,2023-05-01\n")
    records = [r for n in env.notifications() if "Records" in n for r in json.loads(n)["Records"]]
    # WHEN the handler gets them together
    result = env.invoke({"Records": records})
    # THEN both were ingested
    assert [r["key"] for r in result["results"]] == ["uploads/a.csv", "uploads/b.csv"]
    assert len(env.queued()) == 2


def test_an_object_overwritten_before_it_is_read_is_not_ingested_under_the_old_identity(env: Env) -> None:
    # GIVEN an upload overwritten before its notification is handled
    env.s3.put_object(Bucket=env.bucket, Key="uploads/f.csv", Body=HEADER + b"P1,A,1,2023-05-01\n")
    first = [n for n in env.notifications() if "Records" in n]
    env.s3.put_object(Bucket=env.bucket, Key="uploads/f.csv", Body=HEADER + b"P1,A,2,2023-05-02\n")
    second = env.notifications()
    # WHEN both notifications are handled
    stale = env.invoke(json.loads(first[0]))
    fresh = env.invoke(json.loads(second[0]))
    # THEN only the current content is queued (the first is reported gone, its ETag no longer matches)
    assert stale["results"][0]["outcome"] == "gone"
    assert fresh["results"][0]["sent"] == 1
    assert [json.loads(b)["quantity"] for b in env.queued()] == [2]


def test_a_versioned_bucket_pins_the_announced_version(env: Env) -> None:
    # GIVEN versioning on, and two versions written before the first notification is handled
    env.s3.put_bucket_versioning(Bucket=env.bucket, VersioningConfiguration={"Status": "Enabled"})
    env.notifications()
    versions = [
        env.s3.put_object(Bucket=env.bucket, Key="uploads/v.csv", Body=HEADER + f"P1,A,{q},2023-05-0{q}\n".encode())[
            "VersionId"
        ]
        for q in (1, 2)
    ]
    notes = [json.loads(n) for n in env.notifications()]
    # moto leaves out the versionId that S3 puts in notifications from versioned buckets: add it back
    for note, version in zip(notes, versions, strict=True):
        note["Records"][0]["s3"]["object"]["versionId"] = version
    # WHEN both are handled
    for note in notes:
        env.invoke(note)
    # THEN each version was ingested once, under its own idempotency keys
    messages = [json.loads(b) for b in env.queued()]
    assert sorted(m["quantity"] for m in messages) == [1, 2]
    assert sorted(m["source"]["version"] for m in messages) == sorted(versions)
    assert len({m["idempotency_key"] for m in messages}) == 2


def test_a_generated_file_is_ingested_exactly(env: Env, tmp_path: Path) -> None:
    # GIVEN a 500-row upload with 2% bad rows, some (product_id, location) keys repeated
    lines = list(generate_rows(500, bad_share=0.02, seed=3))
    body = ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")
    good = [line.split(",") for i, line in enumerate(lines[1:]) if not is_bad(i, 0.02)]
    keys = {(product_id, location) for product_id, location, _, _ in good}
    assert len(good) == 490 and len(keys) < 490
    # WHEN it is ingested
    results = upload_and_notify(env, "uploads/big.csv", body)
    # THEN one message per key is queued, the other good rows are counted as superseded, and 10 are reported
    summary = results[-1]["results"][0]
    assert (summary["sent"], summary["superseded"], summary["rejected"]) == (len(keys), 490 - len(keys), 10)
    queued = [json.loads(b) for b in env.queued()]
    assert sorted((m["product_id"], m["location"]) for m in queued) == sorted(keys)


def test_rows_are_coalesced_within_the_configured_window(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a window of one key, set through the environment (read at cold start)
    monkeypatch.setenv("COALESCE_WINDOW_KEYS", "1")
    sys.modules.pop("inventory_ingest.handlers.ingest_csv", None)
    env.handler = importlib.import_module("inventory_ingest.handlers.ingest_csv")
    body = HEADER + b"P1,A,1,2023-05-01\nP1,A,2,2023-05-02\nP2,A,3,2023-05-01\nP1,A,4,2023-05-01\n"
    # WHEN a file whose key changes twice is ingested
    summary = upload_and_notify(env, "uploads/w.csv", body)[-1]["results"][0]
    # THEN each run of one key is coalesced on its own: P1 (line 3), P2, P1 again (older: the updater keeps line 3)
    assert [(m["product_id"], m["quantity"]) for m in map(json.loads, env.queued())] == [
        ("P1", 2),
        ("P2", 3),
        ("P1", 4),
    ]
    assert (summary["sent"], summary["superseded"]) == (3, 1)


def test_a_queue_failure_fails_the_invocation_after_trying_every_record(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the inventory queue is gone, and two uploads in one notification
    env.sqs.delete_queue(QueueUrl=env.queue_url)
    for key in ("uploads/a.csv", "uploads/b.csv"):
        env.s3.put_object(Bucket=env.bucket, Key=key, Body=HEADER + b"P1,A,1,2023-05-01\n")
    records = [r for n in env.notifications() if "Records" in n for r in json.loads(n)["Records"]]
    # WHEN the handler runs THEN it fails, naming both objects (so async retries and the DLQ get the cause)
    with pytest.raises(env.handler.IngestFailedError, match=r"2 object\(s\) not ingested: .*a\.csv.*b\.csv"):
        env.invoke({"Records": records})


@pytest.mark.parametrize(
    "event",
    [
        {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"object": {"key": "k"}}}]},
        {"hello": "world"},
        "not an event",
        {"Records": "nope"},
    ],
)
def test_a_malformed_event_fails_with_a_clear_error(env: Env, event: object) -> None:
    with pytest.raises(InvalidInputError, match="not an S3 event notification"):
        env.invoke(event)


def test_the_sample_events_shipped_with_the_service_are_understood(env: Env) -> None:
    # GIVEN the sample file uploaded where s3_object_created.json says (its eTag is the sample file's MD5)
    env.s3.create_bucket(Bucket="inventory-uploads-bucket")
    env.s3.put_object(Bucket="inventory-uploads-bucket", Key="uploads/sample_file.csv", Body=SAMPLE.read_bytes())
    expected = {
        "s3_object_created.json": {"ingested"},
        "s3_rejects_report_created.json": {"skipped"},
        "s3_test_event.json": set(),
        "s3_two_records_encoded_keys.json": {"gone"},  # those objects do not exist here
    }
    # WHEN each sample is handled THEN it is understood as intended, and the malformed one is refused
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text())
        if path.name.startswith("malformed"):
            with pytest.raises(InvalidInputError):
                env.invoke(event)
        else:
            assert {r["outcome"] for r in env.invoke(event)["results"]} == expected[path.name], path.name


def test_a_clean_reupload_removes_the_old_report_without_leaving_delete_markers_behind(env: Env) -> None:
    # GIVEN a versioned bucket and an upload with a bad row, which left a rejects report
    env.s3.put_bucket_versioning(Bucket=env.bucket, VersioningConfiguration={"Status": "Enabled"})
    env.notifications()
    upload_and_notify(env, "uploads/f.csv", HEADER + b"P1,A,x,2023-05-01\n")
    env.notifications()  # the report's own notification
    # WHEN a corrected file is uploaded, and then another clean one
    upload_and_notify(env, "uploads/f.csv", HEADER + b"P1,A,1,2023-05-01\n")
    upload_and_notify(env, "uploads/f.csv", HEADER + b"P1,A,2,2023-05-02\n")
    # THEN the report is gone, with exactly one delete marker (none for the upload that had nothing to remove)
    listing = env.s3.list_object_versions(Bucket=env.bucket, Prefix="rejects/")
    assert [m["Key"] for m in listing.get("DeleteMarkers", []) if m["IsLatest"]] == [
        "rejects/uploads/f.csv.rejects.csv"
    ]
    assert len(listing.get("DeleteMarkers", [])) == 1
