"""Figure 4b: the ingest function alone, streaming a CSV from S3 to SQS, under its own fresh RIE (process mode).

Isolates the ingest function from the rest of the pipeline: a moto server of its own, a thread that keeps the
output queue shallow (moto rescans a queue on every call, so a deep queue would measure moto, not the function),
and a fresh instance per file so the peak RSS (VmHWM of the runtime process) belongs to that file alone.
"""

from __future__ import annotations

import copy
import json
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import Row, Sheet, boto, generate_inventory_csv, moto_server, peak_rss_kb, sample_event

BUCKET = "bench-uploads"


def _runtime_hwm_kb(rie_pid: int) -> int | None:
    """VmHWM of the RIE's child processes (the Python runtime), read before the instance is stopped."""
    children: list[str] = []
    for task in Path(f"/proc/{rie_pid}/task").iterdir():
        try:
            children += (task / "children").read_text().split()
        except OSError:
            continue
    return peak_rss_kb(children)


def _event(key: str, size: int, etag: str) -> dict[str, Any]:
    event = copy.deepcopy(sample_event("inventory_ingest", "s3_object_created.json"))
    s3 = event["Records"][0]["s3"]
    s3["bucket"]["name"] = BUCKET
    s3["bucket"]["arn"] = f"arn:aws:s3:::{BUCKET}"
    s3["object"].update({"key": key, "size": size, "eTag": etag.strip('"')})
    return {"Records": [event["Records"][0]]}


def run(sheet: Sheet, sizes: list[int], limit_s: float) -> None:
    from localrun.instance import FunctionSpec, start_instance

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    with moto_server() as endpoint:
        s3, sqs = boto("s3", endpoint), boto("sqs", endpoint)
        s3.create_bucket(Bucket=BUCKET)
        queue = sqs.create_queue(QueueName="bench-ingest-out")["QueueUrl"]
        stop = threading.Event()

        def drain() -> None:
            while not stop.wait(0.5):
                try:
                    sqs.purge_queue(QueueUrl=queue)
                except Exception:  # noqa: BLE001, S110 - best effort; the next round tries again
                    pass

        drainer = threading.Thread(target=drain, daemon=True)
        drainer.start()
        try:
            for rows in sizes:
                path = workdir / f"inventory-{rows}.csv"
                generate_inventory_csv(path, rows)
                key = f"uploads/bench-{rows}.csv"
                etag = s3.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())["ETag"]
                spec = FunctionSpec(
                    name="bench-ingest",
                    service="inventory_ingest",
                    handler="inventory_ingest.handlers.ingest_csv.handler",
                    timeout_s=int(limit_s),
                    env={"AWS_ENDPOINT_URL": endpoint, "INVENTORY_QUEUE_URL": queue, "POWERTOOLS_LOG_LEVEL": "WARNING"},
                )
                subject = f"ingest alone {rows:,} rows (1% bad)"
                with start_instance(spec, "process", output=subprocess.DEVNULL) as instance:
                    # Warm the instance first, so the figure is the streaming, not the imports.
                    instance.invoke(json.dumps(sample_event("inventory_ingest", "s3_test_event.json")).encode())
                    started = time.perf_counter()
                    result = instance.invoke(
                        json.dumps(_event(key, path.stat().st_size, etag)).encode(), timeout_s=limit_s + 30
                    )
                    elapsed = time.perf_counter() - started
                    hwm = _runtime_hwm_kb(instance._proc.pid)  # noqa: SLF001 - the RIE's pid, for /proc
                if not result.ok:
                    sheet.add(
                        Row.na(
                            "inventory",
                            subject,
                            "rows/s",
                            "process",
                            f"{result.error_type}: {result.error_message}"[:300],
                        )
                    )
                    continue
                sheet.add(
                    Row.runs(
                        "inventory",
                        subject,
                        "throughput",
                        "rows/s",
                        "process",
                        [rows / elapsed],
                        note="S3 -> SQS only, queue kept shallow",
                    )
                )
                if hwm is not None:
                    sheet.add(
                        Row.runs(
                            "inventory",
                            subject,
                            "ingest peak RSS",
                            "MB",
                            "process",
                            [hwm / 1024],
                            note="VmHWM of a fresh runtime process",
                        )
                    )
        finally:
            stop.set()
            drainer.join(5)
