"""Shared pieces of the benchmarks: statistics, the result sheet, a moto server, sample events, image tags."""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from localrun.instance import free_port, image_exists

REPO = Path(__file__).resolve().parents[1]
SERVICES = REPO / "services"
FLOOR_DIR = Path(__file__).resolve().parent / "floor"
REGION = "us-east-1"
CREDS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": REGION}


def generate_inventory_csv(path: Path, rows: int) -> None:
    """A synthetic inventory CSV with 1% bad rows (fixed seed, so every run measures the same file)."""
    cmd = [sys.executable, "-m", "inventory_ingest.generate", "--rows", str(rows), "--bad-share", "0.01"]
    subprocess.run([*cmd, "--seed", "7", "-o", str(path)], check=True, capture_output=True, timeout=600)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: with few samples p99 is the slowest one, honestly)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


@dataclass
class Row:
    """One figure: a median of runs (with min/max) or a latency distribution (p50/p99), in one mode."""

    figure: str
    subject: str
    metric: str
    unit: str
    mode: str
    n: int = 0
    median: float | None = None
    min: float | None = None
    max: float | None = None
    p50: float | None = None
    p99: float | None = None
    note: str = ""
    load1: float | None = None  # the machine's 1-minute load average when the row was recorded

    @classmethod
    def runs(
        cls, figure: str, subject: str, metric: str, unit: str, mode: str, values: Sequence[float], note: str = ""
    ) -> Row:
        if not values:
            return cls(figure, subject, metric, unit, mode, note=note or "n/a: no successful run")
        return cls(
            figure,
            subject,
            metric,
            unit,
            mode,
            len(values),
            statistics.median(values),
            min(values),
            max(values),
            note=note,
        )

    @classmethod
    def dist(
        cls, figure: str, subject: str, metric: str, unit: str, mode: str, values: Sequence[float], note: str = ""
    ) -> Row:
        if not values:
            return cls(figure, subject, metric, unit, mode, note=note or "n/a: no sample")
        row = cls.runs(figure, subject, metric, unit, mode, values, note)
        return replace(row, p50=percentile(values, 50), p99=percentile(values, 99))

    @classmethod
    def na(cls, figure: str, subject: str, metric: str, mode: str, reason: str) -> Row:
        return cls(figure, subject, metric, "", mode, note=f"n/a: {reason}")


@dataclass
class Budget:
    name: str
    limit: str
    measured: str
    status: str  # PASS, MISS or n/a


@dataclass
class Sheet:
    rows: list[Row] = field(default_factory=list)
    budgets: list[Budget] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        row.load1 = round(os.getloadavg()[0], 1)
        self.rows.append(row)
        print(f"  {format_row(row)}", flush=True)
        return row

    def find(self, figure: str, subject: str, metric: str, mode: str | None = None) -> Row | None:
        for row in self.rows:
            if (row.figure, row.subject, row.metric) == (figure, subject, metric) and mode in (None, row.mode):
                return row
        return None

    def to_json(self, meta: dict[str, Any]) -> dict[str, Any]:
        return {"meta": meta, "rows": [asdict(r) for r in self.rows], "budgets": [asdict(b) for b in self.budgets]}


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def format_row(row: Row) -> str:
    if row.n == 0:
        return f"{row.figure:<10} {row.subject:<34} {row.metric:<22} {row.mode:<8} {row.note}"
    if row.p50 is not None:
        stats = f"p50 {_num(row.p50)} p99 {_num(row.p99)} (min {_num(row.min)} max {_num(row.max)})"
    else:
        stats = f"{_num(row.median)} (min {_num(row.min)} max {_num(row.max)})"
    return f"{row.figure:<10} {row.subject:<34} {row.metric:<22} {row.mode:<8} {stats} {row.unit} n={row.n}" + (
        f"  [{row.note}]" if row.note else ""
    )


def markdown(sheet: Sheet) -> str:
    lines = [
        "| figure | subject | metric | mode | median | min | max | p50 | p99 | unit | n | load | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sheet.rows:
        lines.append(
            f"| {r.figure} | {r.subject} | {r.metric} | {r.mode} | {_num(r.median)} | {_num(r.min)} | "
            f"{_num(r.max)} | {_num(r.p50)} | {_num(r.p99)} | {r.unit} | {r.n} | {_num(r.load1)} | {r.note} |"
        )
    lines += ["", "| budget | limit | measured | status |", "|---|---|---|---|"]
    lines += [f"| {b.name} | {b.limit} | {b.measured} | {b.status} |" for b in sheet.budgets]
    return "\n".join(lines)


@contextmanager
def moto_server() -> Iterator[str]:
    """moto on a free loopback port with the runner's patches (``localrun.motoserver``), so what the functions are
    measured against is the moto they meet in ``./runlocally.sh``; in a process of its own, apart from the bench's."""
    from localrun.motoserver import MotoProcess

    server = MotoProcess(free_port(), "000000000000")
    try:
        yield server.url
    finally:
        server.stop()


def peak_rss_kb(pids: Iterable[str | int]) -> int | None:
    """The largest VmHWM (peak resident set, kB) among ``pids``; None when none could be read (gone, or not Linux)."""
    peak = None
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    value = int(line.split()[1])
                    peak = value if peak is None else max(peak, value)
        except OSError:
            continue
    return peak


def wait_port(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s:.0f} s")


def boto(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=endpoint, **CREDS)  # type: ignore[call-overload]


def sample_event(service: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SERVICES / service / "events" / name).read_text())
    return data


def rest_event(
    service: str,
    sample: str,
    *,
    path: str | None = None,
    path_params: dict[str, str] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """A service's sample API Gateway event with the path (and stage path) or body swapped."""
    event = copy.deepcopy(sample_event(service, sample))
    if path is not None:
        event["path"] = path
        ctx = event.setdefault("requestContext", {})
        ctx["path"] = "/prod" + path
    if path_params is not None:
        event["pathParameters"] = path_params
    if body is not None:
        event["body"] = body
    return event


def image_tag(service: str) -> str | None:
    """The local image of a service: ``<svc>:latest`` (what the runner uses), else ``<svc>:dev``."""
    for tag in (f"{service}:latest", f"{service}:dev"):
        if image_exists(tag):
            return tag
    return None


_INIT_RE = re.compile(r"INIT REPORT\(durationMs: ([0-9.]+)\)")


def init_ms_from_log(path: Path) -> float | None:
    """RIE logs ``INIT REPORT(durationMs: N)``: the runtime's init phase (imports + module-level work)."""
    match = _INIT_RE.search(path.read_text(errors="replace"))
    return float(match.group(1)) if match else None


def machine() -> dict[str, Any]:
    import platform

    load = os.getloadavg()
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in load],
        "kernel": platform.release(),
        "pythondontwritebytecode": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
    }
