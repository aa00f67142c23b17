"""Seed scenario 2 (CSV upload -> inventory levels) and scenario 5 (faults: nothing lost, nothing duplicated)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from localrun_testing import TopologyUnderTest, drain, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
STACK = "InventoryStack"
HEADER = "product_id,location,quantity,update_date"


def _bucket(topology: TopologyUnderTest) -> str:
    names = [b["Name"] for b in topology.client("s3").list_buckets()["Buckets"]]
    return topology.name_of(names, STACK.lower(), "upload")


def _table(topology: TopologyUnderTest) -> str:
    return topology.name_of(topology.client("dynamodb").list_tables()["TableNames"], f"{STACK}-", "Inventory")


def _levels(topology: TopologyUnderTest, products: set[str]) -> dict[tuple[str, str], dict[str, Any]]:
    ddb = topology.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": _table(topology)}
    while True:
        page = ddb.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return {(i["product_id"]["S"], i["location"]["S"]): i for i in items if i["product_id"]["S"] in products}


def _quantities(levels: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str], int]:
    return {k: int(v["quantity"]["N"]) for k, v in levels.items()}


def _business(levels: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str], tuple[str, str, str]]:
    return {k: (v["quantity"]["N"], v["update_date"]["S"], v["idempotency_key"]["S"]) for k, v in levels.items()}


def _settled(topology: TopologyUnderTest) -> bool:
    sqs = topology.client("sqs")
    url = topology.queue_url(f"{STACK}-", "UpdatesQueue")
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return bool(a["ApproximateNumberOfMessages"] == "0" and a["ApproximateNumberOfMessagesNotVisible"] == "0")


def _rejects(topology: TopologyUnderTest, bucket: str, key: str) -> str | None:
    s3 = topology.client("s3")
    try:
        return str(s3.get_object(Bucket=bucket, Key=f"rejects/{key}.rejects.csv")["Body"].read().decode())
    except s3.exceptions.NoSuchKey:
        return None


def test_csv_upload_sets_levels_reports_rejects_and_is_idempotent(local_topology: TopologyUnderTest) -> None:
    local_topology.require(STACK)
    s3 = local_topology.client("s3")
    bucket = _bucket(local_topology)
    run = uuid.uuid4().hex[:8]
    p1, p2 = f"E2E-{run}-1", f"E2E-{run}-2"
    csv = (
        "\n".join(
            [
                HEADER,
                f"{p1},Warehouse A,100,2023-05-01",
                f"{p2},Warehouse B,25,2023-05-02",
                f"{p1},Warehouse A,not-a-number,2023-05-03",
                f"{p2},Warehouse B,7,yesterday",
                f"{p1},Warehouse A,120,2023-05-04",
            ]
        )
        + "\n"
    )
    key = f"uploads/e2e-{run}.csv"
    # WHEN the CSV is uploaded
    s3.put_object(Bucket=bucket, Key=key, Body=csv.encode())
    # THEN the valid rows set the levels (the later line for the same product wins)
    expected = {(p1, "Warehouse A"): 120, (p2, "Warehouse B"): 25}
    wait_for(lambda: _quantities(_levels(local_topology, {p1, p2})) == expected, timeout=90)
    # AND the rejects report names the two bad lines
    report = wait_for(lambda: _rejects(local_topology, bucket, key))
    assert "not-a-number" in report and "yesterday" in report
    assert "Warehouse A,120" not in report
    wait_for(lambda: _settled(local_topology))
    before = _levels(local_topology, {p1, p2})
    # WHEN the same file is uploaded again
    s3.delete_object(Bucket=bucket, Key=f"rejects/{key}.rejects.csv")
    s3.put_object(Bucket=bucket, Key=key, Body=csv.encode())
    # THEN (once it has been processed: its rejects report is back and the queue is drained) the levels are the
    # same (the later upload of the key was applied, with the same quantities, dates and idempotency keys)
    wait_for(lambda: _rejects(local_topology, bucket, key))
    wait_for(lambda: _settled(local_topology))
    assert _business(_levels(local_topology, {p1, p2})) == _business(before)


def test_successive_corrections_of_one_key_with_the_same_date_end_with_the_last_upload(
    local_topology: TopologyUnderTest,
) -> None:
    local_topology.require(STACK)
    s3 = local_topology.client("s3")
    bucket = _bucket(local_topology)
    run = uuid.uuid4().hex[:8]
    product, key = f"FIX-{run}", f"uploads/fix-{run}.csv"
    # GIVEN/WHEN 8 corrections of one file uploaded one after the other under the same key, all with the same
    # update_date; each also has a bad row naming it, so its rejects report says when it has been ingested
    stored = []
    for quantity in range(1, 9):
        marker = f"not-a-number-{quantity}"
        body = f"{HEADER}\n{product},Shelf,{quantity},2023-07-01\n{product},Shelf,{marker},2023-07-01\n"
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
        wait_for(lambda m=marker: m in (_rejects(local_topology, bucket, key) or ""), timeout=90)
        wait_for(lambda: _settled(local_topology), timeout=90)
        stored.append(_quantities(_levels(local_topology, {product})).get((product, "Shelf")))
    # THEN each upload replaced the one before: the last one is stored (before: 1,2,3,3,3,3,7,7 by hash)
    assert stored == list(range(1, 9))


def test_uploads_with_an_upper_case_extension_are_ingested(local_topology: TopologyUnderTest) -> None:
    local_topology.require(STACK)
    s3 = local_topology.client("s3")
    bucket = _bucket(local_topology)
    run = uuid.uuid4().hex[:8]
    # GIVEN/WHEN files named .CSV and .Csv (spreadsheet exports) and a .txt
    for n, suffix in enumerate((".CSV", ".Csv", ".txt")):
        body = f"{HEADER}\nCASE-{run}-{n},Bin,{n + 5},2023-07-01\n"
        s3.put_object(Bucket=bucket, Key=f"uploads/case-{run}{suffix}", Body=body.encode())
    # THEN both CSVs set their levels, and the .txt is not ingested
    products = {f"CASE-{run}-{n}" for n in range(3)}
    expected = {(f"CASE-{run}-0", "Bin"): 5, (f"CASE-{run}-1", "Bin"): 6}
    wait_for(lambda: _quantities(_levels(local_topology, products)) == expected, timeout=90)
    wait_for(lambda: _settled(local_topology))
    assert _quantities(_levels(local_topology, products)) == expected


@pytest.fixture
def chaos(local_topology: TopologyUnderTest) -> Iterator[Any]:
    def set_chaos(**settings: Any) -> None:
        req = urllib.request.Request(
            f"{local_topology.endpoint}/_localrun/chaos", data=json.dumps(settings).encode(), method="POST"
        )
        with urllib.request.urlopen(req, timeout=10):  # noqa: S310 - loopback
            pass

    yield set_chaos
    set_chaos(fail_rate=0, kill_rate=0)


def test_faults_lose_nothing_and_duplicate_nothing(local_topology: TopologyUnderTest, chaos: Any) -> None:
    local_topology.require(STACK)
    s3, sqs = local_topology.client("s3"), local_topology.client("sqs")
    bucket = _bucket(local_topology)
    run = uuid.uuid4().hex[:8]
    # GIVEN 40 products, each updated three times in one file (the latest date must win, whatever the order)
    products = [f"CHAOS-{run}-{i:03d}" for i in range(40)]
    rows, expected = [HEADER], {}
    for day, factor in ((3, 3), (1, 1), (2, 2)):
        for i, p in enumerate(products):
            rows.append(f"{p},Site,{i * 10 + factor},2023-06-0{day}")
            if day == 3:
                expected[(p, "Site")] = i * 10 + factor
    # AND fault injection on the updater: a share of invocations fails after running or loses its instance
    chaos(fail_rate=0.25, kill_rate=0.1, only="UpdaterFunction", seed=11)
    # WHEN the file is uploaded
    key = f"uploads/chaos-{run}.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=("\n".join(rows) + "\n").encode())
    wait_for(
        lambda: (
            _rejects(local_topology, bucket, key) is not None
            or len(_levels(local_topology, set(products))) == len(products)
        ),
        timeout=120,
    )
    wait_for(lambda: _settled(local_topology), timeout=180)
    # THEN every product has exactly its latest level, unless its newest update sits in the DLQ (not lost either)
    dead = drain(sqs, local_topology.queue_url(f"{STACK}-", "UpdatesDlq"), want=10_000, timeout=3)
    dead_keys = {(json.loads(m["Body"]).get("product_id"), "Site") for m in dead}
    levels = _quantities(_levels(local_topology, set(products)))
    wrong = {k: (levels.get(k), v) for k, v in expected.items() if levels.get(k) != v and k not in dead_keys}
    assert wrong == {}
    assert len(levels) + len({k for k in dead_keys if k not in levels}) >= len(products)
