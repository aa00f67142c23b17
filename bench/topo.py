"""Figures 2-4 through the whole local topology (``python -m localrun.topology``): warm latency through the local
REST API and straight to RIE, checkout -> order visible, inventory throughput and ingest peak memory.

The topology runs on free loopback ports (so a developer's ``./runlocally.sh`` on :3000/:4566 is left alone);
``--api-port 3000`` pins the API port.
"""

from __future__ import annotations

import csv
import http.client
import json
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localrun.instance import free_port
from localrun.launch import LaunchSettings, spawn

from bench.common import Row, Sheet, boto, generate_inventory_csv, peak_rss_kb, rest_event, sample_event

START_TIMEOUT_S = 420


@dataclass
class Topo:
    endpoint: str
    api_port: int
    log_path: Path
    mode: str

    def client(self, service: str) -> Any:
        return boto(service, self.endpoint)

    def token(self, user: str, *, admin: bool = False) -> str:
        """An ID token of ``user`` of the e-commerce user pool (the REST API wants one on all but product reads)."""
        from localrun.aws import EndpointClients
        from localrun.shortcuts import DEFAULT_PASSWORD, Shortcuts

        return Shortcuts(EndpointClients(self.endpoint)).user(user, "EcommerceStack", admin, None, DEFAULT_PASSWORD)


@contextmanager
def topology(stacks: list[str], mode: str, time_scale: float, api_port: int | None) -> Iterator[Topo]:
    """The topology started the way every caller starts it (``localrun.launch.spawn``: synth, start, READY)."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-topology-"))
    settings = LaunchSettings(
        cdk_out=workdir / "cdk.out",
        stacks=tuple(stacks),
        mode=mode,  # type: ignore[arg-type]
        time_scale=time_scale,
        port=free_port(),
        api_port=api_port or free_port(),
        console_port=None,  # the figures are the runner's; a user's own ./runlocally.sh may hold :4567
    )
    print(f"  starting {','.join(stacks)} (synth into {workdir}) ...", flush=True)
    started = time.monotonic()
    with spawn(settings, workdir / "localrun.log", ready_timeout_s=START_TIMEOUT_S + 900) as running:
        print(f"  topology READY in {time.monotonic() - started:.1f} s (log {running.log_path})", flush=True)
        yield Topo(running.endpoint, settings.api_port, running.log_path, mode)


def call_api(
    port: int, method: str, path: str, body: Any = None, timeout: float = 60, token: str | None = None
) -> tuple[int, Any, float]:
    """One request on a fresh loopback connection: (status, parsed body, ms); ``token`` is an ID token."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        status = resp.status
    finally:
        conn.close()
    ms = (time.perf_counter() - started) * 1000
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return status, parsed, ms


def load(call: Callable[[int], float], count: int, concurrency: int, budget_s: float) -> list[float]:
    """``count`` calls over ``concurrency`` threads, stopping early at ``budget_s``; returns their latencies."""
    deadline = time.monotonic() + budget_s
    per_thread = max(1, count // concurrency)

    def worker(w: int) -> list[float]:
        out = []
        for i in range(per_thread):
            if time.monotonic() > deadline:
                break
            out.append(call(w * per_thread + i))
        return out

    with ThreadPoolExecutor(concurrency) as pool:
        return [ms for part in pool.map(worker, range(concurrency)) for ms in part]


def _find(names: list[str], *parts: str, exclude: tuple[str, ...] = ()) -> str:
    found = [
        n
        for n in names
        if all(p.lower() in n.lower() for p in parts) and not any(x.lower() in n.lower() for x in exclude)
    ]
    if len(found) != 1:
        raise RuntimeError(f"expected one name with {parts}, found {found}")
    return found[0]


# --- figure 2 and 3 --------------------------------------------------------------------------------------------


def ecommerce(sheet: Sheet, topo: Topo, requests: int, runs: int, *, latency: bool, checkout: bool) -> None:
    api, mode = topo.api_port, topo.mode
    create = json.loads(sample_event("product", "create-product.json")["body"])
    admin = topo.token("bench-admin", admin=True)
    status, product, _ = call_api(api, "POST", "/product", create, token=admin)
    if status != 201:
        for metric in ("GET /product/{id}", "POST /basket", "checkout -> order visible"):
            sheet.add(Row.na("latency", "local API", metric, mode, f"seeding POST /product gave {status}: {product}"))
        return
    pid = product["id"]
    basket_body = json.loads(sample_event("basket", "create-basket.json")["body"])
    basket_body["items"][0]["productId"] = pid

    def get_product(_: int) -> float:
        status, body, ms = call_api(api, "GET", f"/product/{pid}")
        if status != 200:
            raise RuntimeError(f"GET /product/{pid}: {status} {body}")
        return ms

    tokens = [topo.token(f"bench-{i}") for i in range(50)]  # signed in once, outside the timings

    def post_basket(i: int) -> float:
        body_in = {**basket_body, "userName": f"bench-{i % 50}"}
        status, body, ms = call_api(api, "POST", "/basket", body_in, token=tokens[i % 50])
        if status not in (200, 201):
            raise RuntimeError(f"POST /basket: {status} {body}")
        return ms

    if checkout and not latency:
        run_checkout(sheet, topo, pid, runs)
        return
    for name, call in (("GET /product/{id}", get_product), ("POST /basket", post_basket)):
        for concurrency in (1, 8):
            try:
                load(call, 8 * concurrency + 16, concurrency, 120)  # warm-up: grows the pool to what this needs
                values = load(call, requests, concurrency, 120)
                sheet.add(
                    Row.dist(
                        "latency",
                        f"local API c={concurrency}",
                        name,
                        "ms",
                        mode,
                        values,
                        note="incl. moto behind the :4566 gateway",
                    )
                )
            except Exception as exc:  # noqa: BLE001 - report the figure as missing, keep going
                sheet.add(Row.na("latency", f"local API c={concurrency}", name, mode, f"{exc}"[:300]))
    try:
        sheet.add(
            Row.dist(
                "latency",
                "local API c=1 keep-alive",
                "GET /product/{id}",
                "ms",
                mode,
                _kept_connection_gets(api, f"/product/{pid}", requests),
                note="one connection kept open, as the straight-to-RIE rows below: the like-for-like comparison",
            )
        )
    except Exception as exc:  # noqa: BLE001
        sheet.add(Row.na("latency", "local API c=1 keep-alive", "GET /product/{id}", mode, f"{exc}"[:300]))
    raw_rie(sheet, topo, pid, basket_body, requests)
    if checkout:
        run_checkout(sheet, topo, pid, runs)


def _kept_connection_gets(port: int, path: str, requests: int) -> list[float]:
    """GETs on one loopback connection kept open (after 16 warm-up requests): the API's own cost, without a TCP
    connect and a server thread per request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    values = []
    try:
        for i in range(16 + requests):
            started = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"GET {path}: {resp.status}")
            if i >= 16:
                values.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return values


def raw_rie(sheet: Sheet, topo: Topo, pid: str, basket_body: dict[str, Any], requests: int) -> None:
    """The same requests as API Gateway events straight to a warm RIE of the same image, on the same endpoint."""
    from localrun.instance import FunctionSpec, start_instance

    tables = topo.client("dynamodb").list_tables()["TableNames"]
    env = {
        "PRODUCT_TABLE_NAME": _find(tables, "product"),
        "BASKET_TABLE_NAME": _find(tables, "basket"),
        "IDEMPOTENCY_TABLE_NAME": _find(tables, "idempotency"),  # the basket's checkout setting, required at start
        "EVENT_BUS_NAME": "bench-unused",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    cases = [
        (
            "GET /product/{id}",
            "product",
            "product.handlers.api.handler",
            rest_event("product", "get-product.json", path=f"/product/{pid}", path_params={"id": pid}),
        ),
        (
            "POST /basket",
            "basket",
            "basket.handlers.api.handler",
            # The sample's user, whom the sample's authorizer claims name.
            rest_event("basket", "create-basket.json", body=json.dumps(basket_body)),
        ),
    ]
    for name, service, handler, event in cases:
        spec = FunctionSpec(
            name=f"bench-raw-{service}",
            service=service,
            handler=handler,
            env=env,
            image=f"{service}:latest" if topo.mode == "docker" else None,
            endpoint=topo.endpoint,
        )
        try:
            with start_instance(spec, topo.mode, output=subprocess.DEVNULL) as instance:
                payload = json.dumps(event).encode()
                values = []
                for i in range(16 + requests):
                    result = instance.invoke(payload)
                    doc = result.json() if result.ok else None
                    if not result.ok or not isinstance(doc, dict) or doc.get("statusCode", 500) >= 300:
                        raise RuntimeError(f"{name} straight to RIE failed: {result.error_message or doc}")
                    if i >= 16:
                        values.append(result.duration_ms)
            sheet.add(
                Row.dist(
                    "latency",
                    "straight to RIE c=1",
                    name,
                    "ms",
                    topo.mode,
                    values,
                    note="same endpoint and table as the local API run",
                )
            )
        except Exception as exc:  # noqa: BLE001
            sheet.add(Row.na("latency", "straight to RIE c=1", name, topo.mode, f"{exc}"[:300]))
    dynamodb_read(sheet, topo, env["PRODUCT_TABLE_NAME"], pid, requests)


def dynamodb_read(sheet: Sheet, topo: Topo, table: str, pid: str, requests: int) -> None:
    """The GET's one DynamoDB read alone, from a warm boto3 client through the local endpoint: the moto floor."""
    ddb = topo.client("dynamodb")
    values = []
    for i in range(16 + requests):
        t = time.perf_counter()
        ddb.get_item(TableName=table, Key={"id": {"S": pid}})
        if i >= 16:
            values.append((time.perf_counter() - t) * 1000)
    sheet.add(
        Row.dist(
            "latency",
            "boto3 via :4566 c=1",
            "DynamoDB GetItem",
            "ms",
            topo.mode,
            values,
            note="the GET's read alone: gateway + moto, from a warm client",
        )
    )


def _has_orders(body: Any) -> bool:
    items = body.get("items") if isinstance(body, dict) else body
    return isinstance(items, list) and len(items) > 0


def run_checkout(sheet: Sheet, topo: Topo, pid: str, runs: int) -> None:
    api = topo.api_port
    checkout_body = json.loads(sample_event("basket", "checkout.json")["body"])
    basket_body = json.loads(sample_event("basket", "create-basket.json")["body"])
    basket_body["items"][0]["productId"] = pid
    values: list[float] = []
    note = ""
    for _ in range(runs + 1):  # the first run warms the consumer and is not counted
        user = f"bench-co-{uuid.uuid4().hex[:10]}"
        token = topo.token(user)
        status, body, _ = call_api(api, "POST", "/basket", {**basket_body, "userName": user}, token=token)
        if status not in (200, 201):
            note = f"POST /basket gave {status}: {body}"
            break
        started = time.perf_counter()
        status, body, _ = call_api(api, "POST", "/basket/checkout", {**checkout_body, "userName": user}, token=token)
        if status >= 300:
            note = f"POST /basket/checkout gave {status}: {body}"
            break
        deadline = time.monotonic() + 60
        seen = False
        while time.monotonic() < deadline:
            status, body, _ = call_api(api, "GET", f"/order/{user}", token=token)
            if status == 200 and _has_orders(body):
                seen = True
                break
            time.sleep(0.005)
        elapsed = (time.perf_counter() - started) * 1000
        if not seen:
            note = f"order for {user} not visible within 60 s"
            break
        values.append(elapsed)
    sheet.add(
        Row.dist(
            "checkout",
            "POST checkout -> GET order",
            "order visible",
            "ms",
            topo.mode,
            values[1:],
            note=note or "first run (warm-up) excluded",
        )
    )


# --- figure 4 ----------------------------------------------------------------------------------------------------


def _expected_keys(path: Path, rows: int, bad_share: float) -> int:
    from inventory_ingest.generate import is_bad

    keys = set()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for index, row in enumerate(csv.DictReader(fh)):
            if not is_bad(index, bad_share):
                keys.add((row["product_id"], row["location"]))
    assert index + 1 == rows
    return len(keys)


def _ingest_hwm_kb() -> int | None:
    """Peak RSS (VmHWM) of the ingest function's runtime process(es) in process mode."""

    def is_ingest_runtime(proc: Path) -> bool:
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return b"awslambdaric" in cmdline and any(b"inventory_ingest.handlers" in c for c in cmdline)

    return peak_rss_kb(p.name for p in Path("/proc").iterdir() if p.name.isdigit() and is_ingest_runtime(p))


def _clear(table: Any, ddb: Any) -> None:
    scan: dict[str, Any] = {
        "TableName": table,
        "ProjectionExpression": "product_id, #l",
        "ExpressionAttributeNames": {"#l": "location"},
    }
    while True:
        page = ddb.scan(**scan)
        items = page.get("Items", [])
        for start in range(0, len(items), 25):
            ddb.batch_write_item(
                RequestItems={table: [{"DeleteRequest": {"Key": it}} for it in items[start : start + 25]]}
            )
        if "LastEvaluatedKey" not in page:
            return
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _count(table: str, ddb: Any) -> int:
    total, scan = 0, {"TableName": table, "Select": "COUNT"}
    while True:
        page = ddb.scan(**scan)
        total += int(page["Count"])
        if "LastEvaluatedKey" not in page:
            return total
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def inventory(sheet: Sheet, topo: Topo, sizes: list[int], runs: int, limit_s: float) -> None:
    mode = topo.mode
    s3, ddb, sqs = topo.client("s3"), topo.client("dynamodb"), topo.client("sqs")
    bucket = _find([b["Name"] for b in s3.list_buckets()["Buckets"]], "upload")
    table = _find(ddb.list_tables()["TableNames"], "inventory")
    queue = _find(
        [q.rsplit("/", 1)[1] for q in sqs.list_queues().get("QueueUrls", [])],
        "update",
        exclude=("dlq", "dead", "failure", "shadow", "reject"),
    )
    queue = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    workdir = Path(tempfile.mkdtemp(prefix="bench-inventory-"))
    missed: int | None = None
    for rows in sizes:
        if missed is not None:
            sheet.add(
                Row.na(
                    "inventory",
                    f"{rows:,} rows (1% bad)",
                    "throughput",
                    mode,
                    f"not attempted: {missed:,} rows did not finish within the limit",
                )
            )
            continue
        path = workdir / f"inventory-{rows}.csv"
        generate_inventory_csv(path, rows)
        expected = _expected_keys(path, rows, 0.01)
        rates: list[float] = []
        note = f"{expected} distinct keys; done = table has them all and the queue is empty"
        for run in range(runs):
            _clear(table, ddb)
            key = f"bench/{rows}-{run}-{uuid.uuid4().hex[:6]}.csv"
            started = time.perf_counter()
            s3.upload_file(str(path), bucket, key)
            done = False
            stored = 0
            while time.perf_counter() - started < limit_s:
                time.sleep(0.5)
                # The queue first: scanning a table of thousands of items costs moto ~100 ms of the CPU the
                # pipeline is using, so the table is counted only once the queue looks drained.
                attrs = sqs.get_queue_attributes(
                    QueueUrl=queue,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                if int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]):
                    continue
                stored = _count(table, ddb)
                if stored >= expected:
                    done = True
                    break
            elapsed = time.perf_counter() - started
            if not done:
                stored = _count(table, ddb)
                missed = rows
                sqs.purge_queue(QueueUrl=queue)  # leave no backlog behind for later figures
                note = (
                    f"MISSED: not done within {limit_s:.0f} s ({stored}/{expected} keys stored, "
                    f"~{stored / elapsed:.0f} keys/s)"
                )
                break
            rates.append(rows / elapsed)
            print(f"    {rows} rows in {elapsed:.1f} s", flush=True)
        sheet.add(Row.runs("inventory", f"{rows:,} rows (1% bad)", "throughput", "rows/s", mode, rates, note))
        if rates:
            sheet.add(
                Row.runs("inventory", f"{rows:,} rows (1% bad)", "end to end", "s", mode, [rows / r for r in rates])
            )
        hwm = _ingest_hwm_kb() if mode == "process" else None
        if hwm is None:
            sheet.add(
                Row.na(
                    "inventory",
                    f"{rows:,} rows (1% bad)",
                    "ingest peak RSS",
                    mode,
                    "peak RSS is read from /proc in process mode only",
                )
            )
        else:
            sheet.add(
                Row.runs(
                    "inventory",
                    f"{rows:,} rows (1% bad)",
                    "ingest peak RSS",
                    "MB",
                    mode,
                    [hwm / 1024],
                    note="VmHWM of the warm ingest process so far (a high-water mark: cumulative)",
                )
            )
