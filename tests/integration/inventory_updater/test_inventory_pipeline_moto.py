"""The whole inventory pipeline in-process against moto: upload -> S3 notification -> ingest -> queue -> updater
-> table, including an async retry of the ingest (a replay of every message) and a late, older correction."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

REGION = "us-east-1"
SAMPLE = Path(__file__).parents[3] / "services" / "inventory_ingest" / "samples" / "sample_file.csv"
HANDLERS = ("inventory_ingest.handlers.ingest_csv", "inventory_updater.handlers.consume_updates")


@dataclass(frozen=True)
class LambdaContextStub:
    function_name: str = "inventory"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:inventory"
    aws_request_id: str = "req-1"


@dataclass
class Pipeline:
    s3: Any
    sqs: Any
    dynamodb: Any
    bucket: str
    notifications_url: str
    queue_url: str
    queue_arn: str
    ingest: ModuleType
    updater: ModuleType

    def _drain(self, url: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        ):
            out += batch
            # Deleted at once: these tests check what the handlers did, not the queue's redelivery.
            for m in batch:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return out

    def notifications(self) -> list[dict[str, Any]]:
        return [json.loads(m["Body"]) for m in self._drain(self.notifications_url) if "Records" in m["Body"]]

    def run_ingest(self, notification: dict[str, Any]) -> None:
        self.ingest.handler(notification, LambdaContextStub())

    def run_updater(self) -> list[dict[str, str]]:
        """Deliver the queued messages to the updater in batches of 10, as the event source mapping would."""
        messages = self._drain(self.queue_url)
        failures: list[dict[str, str]] = []
        for i in range(0, len(messages), 10):
            records = [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m["Attributes"],
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": REGION,
                }
                for m in messages[i : i + 10]
            ]
            failures += self.updater.handler({"Records": records}, LambdaContextStub())["batchItemFailures"]
        return failures

    def levels(self) -> dict[tuple[str, str], tuple[int, str]]:
        items = self.dynamodb.scan(TableName="inventory")["Items"]
        return {
            (i["product_id"]["S"], i["location"]["S"]): (int(i["quantity"]["N"]), i["update_date"]["S"][:10])
            for i in items
        }


@pytest.fixture
def pipeline(inventory_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    s3.create_bucket(Bucket="uploads")
    notifications_url = sqs.create_queue(QueueName="notifications")["QueueUrl"]
    notifications_arn = sqs.get_queue_attributes(QueueUrl=notifications_url, AttributeNames=["QueueArn"])
    s3.put_bucket_notification_configuration(
        Bucket="uploads",
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": notifications_arn["Attributes"]["QueueArn"], "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    queue_url = sqs.create_queue(QueueName="inventory-updates")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv("INVENTORY_QUEUE_URL", queue_url)
    for module in HANDLERS:
        sys.modules.pop(module, None)
    ingest, updater = (importlib.import_module(m) for m in HANDLERS)
    yield Pipeline(s3, sqs, dynamodb, "uploads", notifications_url, queue_url, queue_arn, ingest, updater)
    for module in HANDLERS:
        sys.modules.pop(module, None)


def test_the_sample_file_sets_one_level_per_product_and_location_and_replays_change_nothing(
    pipeline: Pipeline,
) -> None:
    # GIVEN the seed's sample file uploaded and ingested
    pipeline.s3.put_object(Bucket=pipeline.bucket, Key="uploads/sample_file.csv", Body=SAMPLE.read_bytes())
    [notification] = pipeline.notifications()
    pipeline.run_ingest(notification)
    # WHEN the updater consumes the queue
    assert pipeline.run_updater() == []
    # THEN the table holds the 21 current levels (not 21 appended rows per delivery, as the seed did)
    levels = pipeline.levels()
    assert len(levels) == 21
    assert levels[("P001", "Warehouse A")] == (100, "2023-05-01")
    assert levels[("P0020", "Warehouse B")] == (25, "2023-05-02")

    # WHEN the ingest runs again for the same notification (Lambda's async retry) and every message is replayed
    pipeline.run_ingest(notification)
    assert pipeline.run_updater() == []
    # THEN nothing changed
    assert pipeline.levels() == levels


def test_a_late_older_file_does_not_overwrite_newer_levels(pipeline: Pipeline) -> None:
    # GIVEN current levels from a file dated 2023-05-02
    header = b"product_id,location,quantity,update_date\n"
    pipeline.s3.put_object(
        Bucket=pipeline.bucket, Key="uploads/new.csv", Body=header + b"P1,A,10,2023-05-02\nP2,A,20,2023-05-02\n"
    )
    for note in pipeline.notifications():
        pipeline.run_ingest(note)
    pipeline.run_updater()
    # WHEN a file with an older date for P1 and a newer one for P2 arrives
    pipeline.s3.put_object(
        Bucket=pipeline.bucket, Key="uploads/late.csv", Body=header + b"P1,A,1,2023-05-01\nP2,A,2,2023-05-03\n"
    )
    for note in pipeline.notifications():
        pipeline.run_ingest(note)
    assert pipeline.run_updater() == []
    # THEN only the newer update applies
    assert pipeline.levels() == {("P1", "A"): (10, "2023-05-02"), ("P2", "A"): (2, "2023-05-03")}


def test_reuploading_the_same_file_to_a_versioned_bucket_changes_nothing(pipeline: Pipeline) -> None:
    # GIVEN a versioned bucket (as deployed) and the sample file ingested once
    pipeline.s3.put_bucket_versioning(Bucket=pipeline.bucket, VersioningConfiguration={"Status": "Enabled"})
    pipeline.s3.put_object(Bucket=pipeline.bucket, Key="uploads/s.csv", Body=SAMPLE.read_bytes())
    for note in pipeline.notifications():
        pipeline.run_ingest(note)
    pipeline.run_updater()
    before = pipeline.dynamodb.scan(TableName="inventory")["Items"]
    # WHEN the identical file is uploaded again (a new version, the same content)
    pipeline.s3.put_object(Bucket=pipeline.bucket, Key="uploads/s.csv", Body=SAMPLE.read_bytes())
    for note in pipeline.notifications():
        pipeline.run_ingest(note)
    assert pipeline.run_updater() == []
    # THEN every item is exactly as it was (the messages were duplicates, not newer updates)
    assert pipeline.dynamodb.scan(TableName="inventory")["Items"] == before
