"""Figure 1 (cold start per function) and figure 6 (the raw floor), each function under its own fresh RIE.

Cold start = from starting a fresh instance (process or container) to the first successful response of a real
request, against a moto server started here. RIE initialises lazily, so that is start + first invoke. The init
phase alone comes from RIE's ``INIT REPORT`` log line; the import time from ``python -X importtime``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bench.common import (
    FLOOR_DIR,
    REGION,
    Budget,
    Row,
    Sheet,
    boto,
    image_tag,
    init_ms_from_log,
    moto_server,
    rest_event,
    sample_event,
)

PRODUCT_ID = "1b8f2d3e-7c1a-4f0e-9a55-0c2d7a6b9e11"
USER = "swn"
BUCKET = "inventory-uploads-bucket"
CSV_KEY = "uploads/sample_file.csv"
TABLES = {  # name -> (partition key, sort key)
    "bench-product": ("id", None),
    "bench-basket": ("userName", None),
    "bench-order": ("userName", "orderKey"),
    "bench-idempotency": ("id", None),
    "bench-inventory": ("product_id", "location"),
}


@dataclass
class Target:
    key: str  # what the table shows, e.g. "product api"
    service: str
    handler: str
    kind: str  # "rest" or "event"
    event: Callable[[dict[str, str]], dict[str, Any]]
    env: dict[str, str] = field(default_factory=dict)
    pythonpath: str | None = None  # floor handlers live under bench/floor
    floor: str = ""  # the floor doing the same AWS work before the first response (issue 13); see FLOOR_* below


# Issue 13 holds each function's cold start to a floor measured in the same run: REST services within 1.25x, event
# consumers within 2x. The floor a function is judged against does the same AWS work before its first response as
# the function does (a REST GET that reads DynamoDB against FastAPI+Mangum with one boto3 client and one GetItem, a
# consumer that calls AWS against a plain handler with one client and one GetItem, one that does not against the
# plain handler): boto3's import, session, client and first call alone cost more than the 25% a bare floor leaves.
# The bare floor of the same kind is shown beside it.
FLOOR_RAW = "floor raw handler"
FLOOR_ASGI = "floor FastAPI+Mangum GET"
FLOOR_RAW_DYNAMODB = "floor handler+DynamoDB GetItem"
FLOOR_ASGI_DYNAMODB = "floor FastAPI+Mangum+DynamoDB GET"
BARE_FLOOR = {"rest": FLOOR_ASGI, "event": FLOOR_RAW}
FLOOR_LIMIT = {"rest": 1.25, "event": 2.0}


def _sqs_event(body: dict[str, Any]) -> dict[str, Any]:
    event = sample_event("ordering", "sqs-checkout.json")
    record = event["Records"][0]
    record["body"] = json.dumps(body)
    record["eventSourceARN"] = f"arn:aws:sqs:{REGION}:000000000000:InventoryQueue"
    return {"Records": [record]}


def _s3_event(_: dict[str, str]) -> dict[str, Any]:
    return sample_event("inventory_ingest", "s3_object_created.json")


def targets() -> list[Target]:
    ddb = {
        "PRODUCT_TABLE_NAME": "bench-product",
        "BASKET_TABLE_NAME": "bench-basket",
        "ORDER_TABLE_NAME": "bench-order",
        "INVENTORY_TABLE_NAME": "bench-inventory",
        "EVENT_BUS_NAME": "default",
        "IDEMPOTENCY_TABLE_NAME": "bench-idempotency",
    }
    update = {"product_id": "P00001", "location": "Store 1", "quantity": 5, "update_date": "2026-11-23"}
    return [
        Target(
            "product api GET /product/{id}",
            "product",
            "product.handlers.api.handler",
            "rest",
            lambda _: rest_event(
                "product", "get-product.json", path=f"/product/{PRODUCT_ID}", path_params={"id": PRODUCT_ID}
            ),
            ddb,
            floor=FLOOR_ASGI_DYNAMODB,
        ),
        Target(
            "basket api GET /basket/{user}",
            "basket",
            "basket.handlers.api.handler",
            "rest",
            lambda _: rest_event("basket", "get-basket.json"),
            ddb,
            floor=FLOOR_ASGI_DYNAMODB,
        ),
        Target(
            "ordering api GET /order/{user}",
            "ordering",
            "ordering.handlers.api.handler",
            "rest",
            lambda _: rest_event("ordering", "get-user-orders.json"),
            ddb,
            floor=FLOOR_ASGI_DYNAMODB,
        ),
        Target(
            "backtosource handler",
            "backtosource",
            "backtosource.handler.handler",
            "event",
            lambda _: sample_event("backtosource", "hello.json"),
            floor=FLOOR_RAW,
        ),
        Target(
            "toanother handler",
            "toanother",
            "toanother.handler.handler",
            "event",
            lambda _: sample_event("toanother", "hello.json"),
            floor=FLOOR_RAW,
        ),
        Target(
            "dlq_demo process",
            "dlq_demo",
            "dlq_demo.handlers.process.handler",
            "event",
            lambda _: sample_event("dlq_demo", "direct_pass.json"),
            floor=FLOOR_RAW,
        ),
        Target(
            "basket consume_price_changed",
            "basket",
            "basket.handlers.consume_price_changed.handler",
            "event",
            lambda _: sample_event("basket", "price-changed.json"),
            ddb,
            floor=FLOOR_RAW_DYNAMODB,
        ),
        Target(
            "ordering consume_checkout",
            "ordering",
            "ordering.handlers.consume_checkout.handler",
            "event",
            lambda _: sample_event("ordering", "sqs-checkout.json"),
            ddb,
            floor=FLOOR_RAW_DYNAMODB,
        ),
        Target(
            "inventory_ingest ingest_csv",
            "inventory_ingest",
            "inventory_ingest.handlers.ingest_csv.handler",
            "event",
            _s3_event,
            {},
            floor=FLOOR_RAW_DYNAMODB,
        ),
        Target(
            "inventory_updater consume_updates",
            "inventory_updater",
            "inventory_updater.handlers.consume_updates.handler",
            "event",
            lambda _: _sqs_event(update),
            ddb,
            floor=FLOOR_RAW_DYNAMODB,
        ),
    ]


def floor_targets() -> list[Target]:
    floor = str(FLOOR_DIR)
    return [
        Target(FLOOR_RAW, "floor", "raw_floor.handler", "event", lambda _: {"ping": 1}, pythonpath=floor),
        Target(
            FLOOR_ASGI,
            "floor",
            "asgi_floor.handler",
            "rest",
            lambda _: rest_event(
                "product", "get-product.json", path=f"/product/{PRODUCT_ID}", path_params={"id": PRODUCT_ID}
            ),
            pythonpath=floor,
        ),
        Target(
            FLOOR_RAW_DYNAMODB,
            "floor",
            "raw_dynamodb_floor.handler",
            "event",
            lambda _: {"id": PRODUCT_ID},
            {"PRODUCT_TABLE_NAME": "bench-product"},
            pythonpath=floor,
        ),
        Target(
            FLOOR_ASGI_DYNAMODB,
            "floor",
            "asgi_dynamodb_floor.handler",
            "rest",
            lambda _: rest_event(
                "product", "get-product.json", path=f"/product/{PRODUCT_ID}", path_params={"id": PRODUCT_ID}
            ),
            {"PRODUCT_TABLE_NAME": "bench-product"},
            pythonpath=floor,
        ),
    ]


def provision(endpoint: str) -> str:
    """Tables, a seeded product, the upload bucket with a small CSV and the inventory queue; returns the queue URL."""
    ddb = boto("dynamodb", endpoint)
    for name, (pk, sk) in TABLES.items():
        keys = [{"AttributeName": pk, "KeyType": "HASH"}] + ([{"AttributeName": sk, "KeyType": "RANGE"}] if sk else [])
        attrs = [{"AttributeName": a, "AttributeType": "S"} for a in (pk, sk) if a]
        ddb.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST")
    ddb.put_item(
        TableName="bench-product",
        Item={
            "id": {"S": PRODUCT_ID},
            "name": {"S": "IPhone X"},
            "description": {"S": "phone"},
            "price": {"N": "950.40"},
            "category": {"S": "Phone"},
        },
    )
    s3 = boto("s3", endpoint)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(
        Bucket=BUCKET,
        Key=CSV_KEY,
        Body=b"product_id,location,quantity,update_date\nP00001,Store 1,5,2026-11-23\nP00002,Store 2,7,2026-11-23\n",
    )
    url: str = boto("sqs", endpoint).create_queue(QueueName="bench-inventory")["QueueUrl"]
    _seed_basket(endpoint)
    return url


def _seed_basket(endpoint: str) -> None:
    """Create the sample user's basket through the basket API itself (in a throw-away process), so the cold-start
    GET finds one and the item has exactly the shape the service writes."""
    event = json.dumps(rest_event("basket", "create-basket.json"))
    code = (
        "import json, sys\n"
        "from basket.handlers.api import handler\n"
        "class Ctx: aws_request_id = 'seed'; function_name = 'seed'\n"
        "out = handler(json.loads(sys.stdin.read()), Ctx())\n"
        "print(out['statusCode'], out.get('body', '')[:300])\n"
    )
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "BASKET_TABLE_NAME": "bench-basket",
        "PRODUCT_TABLE_NAME": "bench-product",
        "EVENT_BUS_NAME": "default",
        "IDEMPOTENCY_TABLE_NAME": "bench-idempotency",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], input=event, env=env, capture_output=True, text=True, timeout=120
    )
    if not out.stdout.startswith(("200", "201")):
        raise RuntimeError(f"seeding the basket failed: {out.stdout[-500:]} {out.stderr[-1500:]}")


def succeeded(target: Target, result: Any) -> tuple[bool, str]:
    if not result.ok:
        return False, f"{result.error_type}: {result.error_message}"
    doc = result.json()
    if target.kind == "rest":
        status = doc.get("statusCode") if isinstance(doc, dict) else None
        return status == 200, f"HTTP {status}: {str(doc)[:200]}"
    if isinstance(doc, dict) and doc.get("batchItemFailures"):
        return False, f"batch failures: {doc['batchItemFailures']}"
    return True, ""


FLOOR_IMAGE = "bench-floor:latest"


@cache
def _floor_image() -> bool:
    """Docker mode's floors run in the product image with the floor handlers added (bench/floor/Dockerfile)."""
    if image_tag("product") is None:
        return False
    cmd = ["docker", "build", "-q", "-t", FLOOR_IMAGE, "-f", str(FLOOR_DIR / "Dockerfile"), str(FLOOR_DIR)]
    return subprocess.run(cmd, capture_output=True, timeout=600).returncode == 0


def _spec(target: Target, endpoint: str, queue_url: str, mode: str) -> Any:
    from localrun.instance import FunctionSpec

    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "INVENTORY_QUEUE_URL": queue_url,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        **target.env,
    }
    if target.pythonpath and mode != "docker":
        env["PYTHONPATH"] = target.pythonpath
    image = None
    if mode == "docker":
        image = FLOOR_IMAGE if target.pythonpath else image_tag(target.service)
    return FunctionSpec(
        name=f"bench-{target.service}", service=target.service, handler=target.handler, env=env, image=image
    )


def cold_runs(
    target: Target, endpoint: str, queue_url: str, mode: str, runs: int, warm_invokes: int = 0
) -> tuple[list[float], list[float], list[float], list[float], str]:
    """Fresh instances, ``runs`` times: (total ms, init ms, first-invoke ms, warm invoke ms, failure note)."""
    from localrun.instance import InstanceError, start_instance

    spec = _spec(target, endpoint, queue_url, mode)
    payload = json.dumps(target.event({})).encode()
    totals: list[float] = []
    inits: list[float] = []
    firsts: list[float] = []
    warm: list[float] = []
    note = ""
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("w", prefix="bench-rie-", suffix=".log", delete=False) as log:
            log_path = Path(log.name)
            started = time.perf_counter()
            instance = start_instance(spec, mode, output=log)
            try:
                try:
                    result = instance.invoke(payload)
                except InstanceError as exc:  # one failed start (e.g. a 502 from RIE) costs a run, not the figure
                    note = f"a run failed: {exc}"[:300]
                    continue
                total = (time.perf_counter() - started) * 1000
                ok, why = succeeded(target, result)
                if not ok:
                    note = f"first response not successful: {why}"
                    continue
                totals.append(total)
                firsts.append(result.duration_ms)
                init = init_ms_from_log(log_path)
                if init is not None:
                    inits.append(init)
                for _ in range(warm_invokes):
                    warm.append(instance.invoke(payload).duration_ms)
            finally:
                instance.stop()
                log_path.unlink(missing_ok=True)
    return totals, inits, firsts, warm, note


def import_ms(target: Target, env: dict[str, str], runs: int) -> list[float]:
    """Cumulative ``-X importtime`` of the handler's module in fresh interpreters (settings env set)."""
    module = target.handler.rsplit(".", 1)[0]
    proc_env = {**os.environ, **env}
    if target.pythonpath:
        proc_env["PYTHONPATH"] = target.pythonpath
    values = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            env=proc_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        for line in out.stderr.splitlines():
            parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
            if len(parts) == 3 and parts[2] == module:
                values.append(int(parts[1]) / 1000)
    return values


@dataclass
class _Samples:
    totals: list[float] = field(default_factory=list)
    inits: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    imports: list[float] = field(default_factory=list)
    note: str = ""
    error: str = ""  # the figure could not be produced at all


def _figure(target: Target) -> str:
    return "floor" if target.service == "floor" else "cold"


def run(
    sheet: Sheet, modes: list[str], runs: int, include_floor: bool, include_services: bool, label: str | None = None
) -> None:
    """``label`` names the mode in the table (e.g. process+pyc) when it differs from the instance mode.

    Runs go round-robin: run i of every function and floor before run i+1 of any, so a burst of load on a shared
    machine lands on a function and its floor alike and the ratios between them stay fair.
    """
    # RIE logs "INIT REPORT(durationMs: ...)" at info level; localrun runs it at "error" unless told otherwise.
    os.environ.setdefault("RIE_LOG_LEVEL", "info")
    chosen = (targets() if include_services else []) + (floor_targets() if include_floor else [])
    with moto_server() as endpoint:
        queue_url = provision(endpoint)
        env_for_import = {
            "AWS_ENDPOINT_URL": endpoint,
            "INVENTORY_QUEUE_URL": queue_url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": REGION,
        }
        for mode in modes:
            shown = label or mode
            runnable = []
            for target in chosen:
                if mode == "docker" and target.pythonpath and not _floor_image():
                    reason = "no product image to build the floor on"
                    sheet.add(Row.na(_figure(target), target.key, "cold start", mode, reason))
                elif mode == "docker" and not target.pythonpath and image_tag(target.service) is None:
                    sheet.add(Row.na(_figure(target), target.key, "cold start", mode, f"no image {target.service}"))
                else:
                    runnable.append(target)
            samples = {target.key: _Samples() for target in runnable}
            for _ in range(runs):
                for target in runnable:
                    got = samples[target.key]
                    if got.error:
                        continue
                    warm_n = 20 if _figure(target) == "floor" else 0
                    try:
                        totals, inits, firsts, warm, note = cold_runs(target, endpoint, queue_url, mode, 1, warm_n)
                    except Exception as exc:  # noqa: BLE001 - a figure that cannot be produced is reported, not fatal
                        got.error = f"{type(exc).__name__}: {exc}"[:300]
                        continue
                    got.totals += totals
                    got.inits += inits
                    got.firsts += firsts
                    got.warm += warm
                    got.note = note or got.note
                    if mode != "docker":
                        got.imports += import_ms(target, {**env_for_import, **target.env}, 1)
            for target in runnable:
                figure, got = _figure(target), samples[target.key]
                if got.error:
                    sheet.add(Row.na(figure, target.key, "cold start", mode, got.error))
                    continue
                sheet.add(Row.runs(figure, target.key, "cold start", "ms", shown, got.totals, got.note))
                sheet.add(Row.runs(figure, target.key, "init (INIT REPORT)", "ms", shown, got.inits))
                sheet.add(Row.runs(figure, target.key, "first invoke", "ms", shown, got.firsts))
                if got.warm:
                    sheet.add(Row.dist(figure, target.key, "warm invoke via RIE", "ms", shown, got.warm))
                if mode != "docker":
                    sheet.add(Row.runs(figure, target.key, "import (-X importtime)", "ms", shown, got.imports))


@dataclass(frozen=True)
class FloorVerdict:
    """One function's cold start in one mode against its floor and the bare floor of the same run (issue 13)."""

    subject: str
    mode: str
    limit: float
    floor_subject: str  # the floor doing the same AWS work
    cold: Row
    floor: Row | None
    bare: Row | None

    @staticmethod
    def _ratio(cold: Row, floor: Row | None) -> float | None:
        if cold.median is None or floor is None or not floor.median:
            return None
        return cold.median / floor.median

    @property
    def ratio(self) -> float | None:
        return self._ratio(self.cold, self.floor)

    @property
    def bare_ratio(self) -> float | None:
        return self._ratio(self.cold, self.bare)

    @property
    def status(self) -> str:
        ratio = self.ratio
        return "n/a" if ratio is None else ("PASS" if ratio <= self.limit else "MISS")

    def budget(self) -> Budget:
        floor_name = _short(self.floor_subject)
        limit = f"<= {self.limit:.2f}x {floor_name}"
        name = f"cold start vs floor {self.subject} ({self.mode})"
        ratio, cold = self.ratio, self.cold.median
        if ratio is None or cold is None or self.floor is None or self.floor.median is None:
            reason = self.cold.note if cold is None else f"no {floor_name} row in {self.mode} mode in this run"
            return Budget(name, limit, (reason or "n/a")[:160], "n/a")
        measured = f"{cold:,.0f} / {self.floor.median:,.0f} ms = {ratio:.2f}x"
        bare_ratio = self.bare_ratio
        if self.bare is not None and self.bare.median is not None and bare_ratio is not None:
            measured += f"; bare {_short(self.bare.subject)} {self.bare.median:,.0f} ms: {bare_ratio:.2f}x"
        return Budget(name, limit, measured, self.status)


def _short(floor_subject: str) -> str:
    return floor_subject.removeprefix("floor ")


def floor_verdicts(rows: list[Row]) -> list[FloorVerdict]:
    """Every function's cold-start row judged against its floor's row of the same mode (rows of one run)."""

    def find(subject: str, mode: str) -> Row | None:
        for row in rows:
            if (row.subject, row.metric, row.mode) == (subject, "cold start", mode) and row.median is not None:
                return row
        return None

    by_subject = {t.key: t for t in targets()}
    verdicts = []
    for row in rows:
        target = by_subject.get(row.subject)
        if row.figure != "cold" or row.metric != "cold start" or target is None:
            continue
        verdicts.append(
            FloorVerdict(
                row.subject,
                row.mode,
                FLOOR_LIMIT[target.kind],
                target.floor,
                row,
                find(target.floor, row.mode),
                find(BARE_FLOOR[target.kind], row.mode),
            )
        )
    return verdicts


def _ms(row: Row | None) -> str:
    if row is None or row.median is None or row.min is None or row.max is None:
        return "n/a"
    return f"{row.median:,.0f} ({row.min:,.0f}-{row.max:,.0f})"


def _x(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def floor_table(verdicts: list[FloorVerdict]) -> str:
    """The issue-13 table (Markdown): each cold start beside its floor and the bare floor of the same run."""
    lines = [
        "| function | mode | cold start ms (median, min-max) | floor (same AWS work) | floor ms | ratio | target |"
        " bare floor | bare ms | bare ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        floor = _short(v.floor_subject)
        bare = _short(v.bare.subject) if v.bare else "n/a"
        lines.append(
            f"| {v.subject} | {v.mode} | {_ms(v.cold)} | {floor} | {_ms(v.floor)} | {_x(v.ratio)} | "
            f"<= {v.limit:.2f}x: {v.status} | {bare} | {_ms(v.bare)} | {_x(v.bare_ratio)} |"
        )
    return "\n".join(lines)
