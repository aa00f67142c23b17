"""The updater against moto: the DynamoDB adapter's conditional writes, and the handler fed real SQS event shapes
(messages sent to and received from a moto queue, then wrapped the way Lambda's event source mapping does)."""

from __future__ import annotations

import hashlib
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
from inventory_updater.adapters.dynamodb import DynamoDbInventoryStore
from inventory_updater.models.level import InventoryLevel
from inventory_updater.ports import StoredLevel, WriteRejected

REGION = "us-east-1"
EVENTS = Path(__file__).parents[3] / "services" / "inventory_updater" / "events"


@dataclass(frozen=True)
class LambdaContextStub:
    function_name: str = "inventory-updater"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:inventory-updater"
    aws_request_id: str = "req-1"


@dataclass
class Env:
    dynamodb: Any
    sqs: Any
    table: str
    queue_url: str
    queue_arn: str
    handler: ModuleType

    def event_for(self, bodies: list[str]) -> dict[str, Any]:
        """Send the bodies to the queue, receive them, and build the Lambda SQS event from what came back."""
        for body in bodies:
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)
        received: list[dict[str, Any]] = []
        while len(received) < len(bodies):
            received += self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
        return {
            "Records": [
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
                for m in received
            ]
        }

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.handler.handler(event, LambdaContextStub())
        return result

    def item(self, product_id: str, location: str) -> dict[str, Any] | None:
        key = {"product_id": {"S": product_id}, "location": {"S": location}}
        item: dict[str, Any] | None = self.dynamodb.get_item(TableName=self.table, Key=key).get("Item")
        return item

    def scan(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.dynamodb.scan(TableName=self.table)["Items"]
        return sorted(items, key=lambda i: (i["product_id"]["S"], i["location"]["S"]))


@pytest.fixture
def env(inventory_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "inventory_updater")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="inventory-updates")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sys.modules.pop("inventory_updater.handlers.consume_updates", None)
    handler = importlib.import_module("inventory_updater.handlers.consume_updates")
    yield Env(dynamodb, sqs, inventory_table, queue_url, arn, handler)
    sys.modules.pop("inventory_updater.handlers.consume_updates", None)


def body(quantity: int, day: str, line: int, product_id: str = "P1", location: str = "Warehouse A") -> str:
    digest = hashlib.sha256(b"bucket/key/v1").hexdigest()[:32]
    return json.dumps(
        {
            "product_id": product_id,
            "location": location,
            "quantity": quantity,
            "update_date": day,
            "idempotency_key": f"{digest}:{line:010d}",
            "source": {"bucket": "bucket", "key": "key", "version": "v1", "line": line},
        }
    )


def level(sequence: str, quantity: int = 1) -> InventoryLevel:
    return InventoryLevel("P1", "A", quantity, "2023-05-01T00:00:00.000000Z", sequence, "k")


def test_the_adapter_writes_only_newer_levels_and_reports_the_stored_sequence(env: Env) -> None:
    # GIVEN a stored level
    store = DynamoDbInventoryStore(env.dynamodb, env.table)
    store.put_if_newer(level("2023-05-01|b", quantity=5))
    # WHEN an equal and an older level are offered THEN both are rejected with the stored sequence
    for sequence in ("2023-05-01|b", "2023-05-01|a"):
        with pytest.raises(WriteRejected) as excinfo:
            store.put_if_newer(level(sequence, quantity=99))
        assert excinfo.value.stored == StoredLevel("2023-05-01|b", 5)
    # AND a newer one is written
    store.put_if_newer(level("2023-05-02|a", quantity=7))
    item = env.item("P1", "A")
    assert item is not None
    assert (item["quantity"], item["sequence"]) == ({"N": "7"}, {"S": "2023-05-02|a"})


def test_a_batch_keeps_one_current_level_per_product_and_location(env: Env) -> None:
    # GIVEN a batch with two updates for one (product, location), newest first, and one for another location
    event = env.event_for(
        [body(9, "2023-05-02", 3), body(5, "2023-05-01", 2), body(4, "2023-05-01", 4, location="Warehouse B")]
    )
    # WHEN it is handled
    response = env.invoke(event)
    # THEN nothing failed and the table holds one item per (product, location), the newest
    assert response == {"batchItemFailures": []}
    items = env.scan()
    assert [(i["location"]["S"], i["quantity"]["N"], i["update_date"]["S"]) for i in items] == [
        ("Warehouse A", "9", "2023-05-02T00:00:00.000000Z"),
        ("Warehouse B", "4", "2023-05-01T00:00:00.000000Z"),
    ]


def test_redelivery_and_replay_change_nothing(env: Env) -> None:
    # GIVEN an applied batch
    bodies = [body(5, "2023-05-01", 2), body(7, "2023-05-02", 3, product_id="P2")]
    env.invoke(env.event_for(bodies))
    before = env.scan()
    # WHEN the same messages are delivered again (as new SQS messages, like a replay from the DLQ)
    response = env.invoke(env.event_for(bodies))
    # THEN they succeed and the table is byte-for-byte unchanged
    assert response == {"batchItemFailures": []}
    assert env.scan() == before


def test_a_stale_update_succeeds_without_changing_the_level(env: Env) -> None:
    env.invoke(env.event_for([body(9, "2023-05-02", 3)]))
    response = env.invoke(env.event_for([body(5, "2023-05-01", 2)]))
    assert response == {"batchItemFailures": []}
    item = env.item("P1", "Warehouse A")
    assert item is not None and item["quantity"] == {"N": "9"}


def test_a_poison_message_is_reported_failed_alone(env: Env) -> None:
    # GIVEN a batch with one good message, one that is not JSON and one missing a field
    missing_field = json.dumps({"product_id": "P3", "location": "A", "update_date": "2023-05-01"})
    event = env.event_for([body(5, "2023-05-01", 2), "{not json", missing_field])
    bad_ids = {r["messageId"] for r in event["Records"] if r["body"] != body(5, "2023-05-01", 2)}
    # WHEN it is handled
    response = env.invoke(event)
    # THEN exactly the two bad messages are reported, and the good one is applied
    assert {f["itemIdentifier"] for f in response["batchItemFailures"]} == bad_ids
    assert env.item("P1", "Warehouse A") is not None


def test_a_batch_of_only_poison_fails_the_invocation(env: Env) -> None:
    # Powertools raises when every record failed, so the whole batch returns to the queue (and counts as an error).
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError):
        env.invoke(env.event_for(["{not json"]))


def test_a_dynamodb_failure_fails_only_the_affected_records(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a store that fails for one product (e.g. throttled after botocore's retries)
    store = env.handler._store()
    real = store.put_if_newer

    def flaky(lvl: InventoryLevel) -> None:
        if lvl.product_id == "P2":
            raise RuntimeError("ProvisionedThroughputExceededException")
        real(lvl)

    monkeypatch.setattr(store, "put_if_newer", flaky)
    event = env.event_for([body(1, "2023-05-01", 2), body(2, "2023-05-01", 3, product_id="P2")])
    p2_id = next(r["messageId"] for r in event["Records"] if '"P2"' in r["body"])
    # WHEN the batch is handled THEN only P2's message is retried
    assert env.invoke(event) == {"batchItemFailures": [{"itemIdentifier": p2_id}]}


def test_the_sample_events_shipped_with_the_service_behave_as_named(env: Env) -> None:
    def run(name: str) -> dict[str, Any]:
        return env.invoke(json.loads((EVENTS / name).read_text()))

    # GIVEN/WHEN the sample updates, their redelivery and a stale update THEN none fails
    for name in ("sqs_updates.json", "sqs_updates.json", "sqs_stale_update.json"):
        assert run(name) == {"batchItemFailures": []}
    item = env.item("P001", "Warehouse A")
    assert item is not None and item["quantity"] == {"N": "100"}
    # AND in the poison sample only the two bad messages fail
    poison = json.loads((EVENTS / "sqs_with_poison.json").read_text())
    assert [f["itemIdentifier"] for f in run("sqs_with_poison.json")["batchItemFailures"]] == [
        r["messageId"] for r in poison["Records"][1:]
    ]


def _json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return [line for line in lines if isinstance(line, dict)]


def upload_body(quantity: int, sequencer: str, etag: str) -> str:
    return json.dumps(
        {
            "product_id": "P1",
            "location": "Warehouse A",
            "quantity": quantity,
            "update_date": "2023-05-01",
            "idempotency_key": f"{etag}:0000000002",
            "source": {"bucket": "bucket", "key": "uploads/f.csv", "version": etag, "line": 2, "sequencer": sequencer},
        }
    )


def test_a_stale_update_is_logged_with_winner_and_loser_and_counted(
    env: Env, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN the later upload of a key applied
    env.invoke(env.event_for([upload_body(8, "0055AED6DCD90281E6", "ee")]))
    capsys.readouterr()
    # WHEN a replay of the earlier upload arrives
    event = env.event_for([upload_body(3, "0055AED6DCD90281E5", "ff")])
    assert env.invoke(event) == {"batchItemFailures": []}
    lines = _json_lines(capsys.readouterr().out)
    # THEN it is logged at INFO with the key, the winner and the loser
    [stale] = [r for r in caplog.records if r.getMessage() == "stale update dropped"]
    assert stale.levelname == "INFO"
    assert stale.key == {"product_id": "P1", "location": "Warehouse A"}
    assert stale.winner["quantity"] == 8 and stale.loser["quantity"] == 3
    assert stale.loser["source"]["sequencer"] == "0055AED6DCD90281E5"
    assert stale.messageId == event["Records"][0]["messageId"]
    # AND counted in the StaleUpdates metric (CloudWatch embedded metric format)
    [emf] = [line for line in lines if "_aws" in line]
    assert (emf["StaleUpdates"], emf["AppliedUpdates"]) == ([1.0], [0.0])
    assert {"Name": "StaleUpdates", "Unit": "Count"} in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    item = env.item("P1", "Warehouse A")
    assert item is not None and item["quantity"] == {"N": "8"}


def test_every_failed_record_is_logged_with_its_message_id_and_cause(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a batch with a good message and one with a negative quantity
    bad = json.dumps({"product_id": "P9", "location": "A", "quantity": -4, "update_date": "2023-05-01"})
    event = env.event_for([body(5, "2023-05-01", 2), bad])
    bad_id = next(r["messageId"] for r in event["Records"] if r["body"] == bad)
    # WHEN it is handled
    env.invoke(event)
    # THEN the failure is logged with the message id and the reason
    [error] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert error.messageId == bad_id
    assert "quantity" in error.reason and "greater than or equal to 0" in error.reason
