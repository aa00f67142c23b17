"""Benchmarks with budgets (issue 7).

    uv run python -m bench [--figures cold,floor,latency,checkout,inventory,images] [--runs 5] [--modes process,docker]

Prints a table (median of runs with min and max, or p50/p99 for latency; each row states its mode), checks the
budgets (PASS / MISS / n/a) and writes everything as JSON under bench/results/. Loopback only; every request loop
is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from localrun.instance import docker_available

from bench.coldstart import floor_table, floor_verdicts
from bench.common import REPO, Budget, Row, Sheet, format_row, machine, markdown

FIGURES = ("cold", "floor", "latency", "checkout", "inventory", "ingest", "images", "endpoint", "devloop")
RESULTS = Path(__file__).resolve().parent / "results"
PYCACHE = Path.home() / ".cache" / "lambda-microservices" / "bench-pycache"


def compile_pycache(prefix: Path) -> None:
    """Byte-compile stdlib, the venv and the workspace sources into a private pycache tree (PYTHONPYCACHEPREFIX),
    so "process+pyc" shows what bytecode caching is worth without writing into the shared venv."""
    import compileall
    import re
    import sysconfig

    sys.pycache_prefix = str(prefix)
    skip = re.compile(r"(/test/|/tests/|idlelib|tkinter|lib2to3|turtledemo)")
    paths = sysconfig.get_paths()
    for root in (
        {paths["stdlib"], paths["purelib"], paths["platlib"]}
        | {str(p) for p in (REPO / "services").glob("*/src")}
        | {str(REPO / "libs/common/src"), str(REPO / "bench" / "floor")}
    ):
        compileall.compile_dir(root, quiet=2, rx=skip, workers=os.cpu_count() or 1)


def budgets(sheet: Sheet) -> None:
    def check(name: str, limit: str, row: Row | None, value: float | None, ok: bool | None, what: str = "") -> None:
        if row is None or value is None or ok is None:
            reason = row.note if row is not None else "not measured in this run"
            sheet.budgets.append(Budget(name, limit, (reason or "n/a")[:160], "n/a"))
            return
        sheet.budgets.append(Budget(name, limit, what or f"{value:,.1f}", "PASS" if ok else "MISS"))

    for row in (r for r in sheet.rows if r.figure == "devloop" and r.subject == "edit -> visible via API"):
        check(f"edit -> visible ({row.mode})", "p50 < 1500 ms", row, row.p50, (row.p50 or 0) < 1500)
    for row in (r for r in sheet.rows if r.figure == "devloop" and r.subject == "restart, nothing changed"):
        check(f"restart to READY ({row.mode})", "< 8 s", row, row.median, (row.median or 0) < 8)
    cold = [r for r in sheet.rows if r.figure == "cold" and r.metric == "cold start" and r.mode.startswith("process")]
    for row in cold:
        limit = 700 if " api " in f" {row.subject} " else 450
        check(
            f"cold start {row.subject} ({row.mode})",
            f"< {limit} ms median",
            row,
            row.median,
            row.median is not None and row.median < limit,
            f"{row.median:,.0f} ms" if row.median else "",
        )
    # Issue 13: every mode, each function against the floor doing the same AWS work (the bare floor's ratio shown too).
    sheet.budgets += [verdict.budget() for verdict in floor_verdicts(sheet.rows)]
    for name in ("GET /product/{id}",):
        api = sheet.find("latency", "local API c=1", name)
        kept = sheet.find("latency", "local API c=1 keep-alive", name)
        raw = sheet.find("latency", "straight to RIE c=1", name)
        check(
            f"warm {name} via local API p50",
            "< 5 ms",
            api,
            api.p50 if api else None,
            api is not None and api.p50 is not None and api.p50 < 5,
            f"{api.p50:.2f} ms" if api and api.p50 else "",
        )
        both = api is not None and raw is not None and api.p50 is not None and raw.p50 is not None
        check(
            f"warm {name} local API vs raw RIE p50",
            "< 2x",
            api if both else (api or raw),
            (api.p50 / raw.p50) if both and api and raw and api.p50 and raw.p50 else None,
            both
            and api is not None
            and raw is not None
            and api.p50 is not None
            and raw.p50 is not None
            and api.p50 < 2 * raw.p50,
            f"{api.p50:.2f} / {raw.p50:.2f} ms = {api.p50 / raw.p50:.2f}x"
            if both and api and raw and api.p50 and raw.p50
            else "",
        )
        # Issue 16: like for like, both on one kept-open connection.
        ratio = kept.p50 / raw.p50 if kept and raw and kept.p50 and raw.p50 else None
        check(
            f"warm {name} local API (kept connection) vs raw RIE p50",
            "<= 1.5x",
            kept or raw,
            ratio,
            ratio is not None and ratio <= 1.5,
            f"{kept.p50:.2f} / {raw.p50:.2f} ms = {ratio:.2f}x"
            if kept and raw and kept.p50 and raw.p50 and ratio
            else "",
        )
    co = sheet.find("checkout", "POST checkout -> GET order", "order visible")
    check(
        "checkout -> order visible p50",
        "< 150 ms",
        co,
        co.p50 if co else None,
        co is not None and co.p50 is not None and co.p50 < 150,
        f"{co.p50:,.0f} ms" if co and co.p50 else "",
    )
    inv = sheet.find("inventory", "100,000 rows (1% bad)", "end to end")
    if inv is None:
        inv = sheet.find("inventory", "100,000 rows (1% bad)", "throughput")
    check(
        "inventory 100,000 rows end to end",
        "< 60 s",
        inv,
        inv.median if inv and inv.unit == "s" else None,
        inv is not None and inv.unit == "s" and inv.median is not None and inv.median < 60,
        f"{inv.median:,.1f} s" if inv and inv.unit == "s" and inv.median else "",
    )
    # Fresh-process peaks of the ingest-alone figure when measured; else the warm topology instance's high-water mark.
    small = sheet.find("inventory", "ingest alone 10,000 rows (1% bad)", "ingest peak RSS") or sheet.find(
        "inventory", "10,000 rows (1% bad)", "ingest peak RSS"
    )
    big = sheet.find("inventory", "ingest alone 100,000 rows (1% bad)", "ingest peak RSS") or sheet.find(
        "inventory", "100,000 rows (1% bad)", "ingest peak RSS"
    )
    flat = small is not None and big is not None and small.median is not None and big.median is not None
    check(
        "ingest memory flat (peak at 100k <= 1.25x peak at 10k)",
        "<= 1.25x",
        big
        if flat
        else Row.na("inventory", "ingest", "peak RSS", "process", "no peak RSS for both 10,000 and 100,000 rows"),
        big.median if flat and big else None,
        flat
        and big is not None
        and small is not None
        and big.median is not None
        and small.median is not None
        and big.median <= 1.25 * small.median,
        f"{small.median:.0f} -> {big.median:.0f} MB" if flat and small and big and small.median and big.median else "",
    )
    for row in (r for r in sheet.rows if r.figure == "image" and r.subject != "offline base"):
        check(
            f"image {row.subject}",
            "< 200 MB",
            row,
            row.median,
            row.median is not None and row.median < 200,
            f"{row.median:.0f} MB" if row.median else "",
        )


def full_markdown(sheet: Sheet) -> str:
    """The sheet as Markdown, then (when the run has cold starts and floors) the issue-13 table of bench/README.md."""
    verdicts = floor_verdicts(sheet.rows)
    return markdown(sheet) + ("\n\n" + floor_table(verdicts) if verdicts else "")


def cold_figures(sheet: Sheet, args: argparse.Namespace, figures: list[str], modes: list[str], docker: bool) -> None:
    from bench import coldstart

    for mode in modes:
        if mode == "docker" and not docker:
            sheet.add(Row.na("cold", "all services", "cold start", "docker", "no Docker engine"))
            continue
        print(f"[cold start: {mode}]", flush=True)
        saved = os.environ.get("PYTHONPYCACHEPREFIX")
        if mode == "process+pyc":
            print(f"  byte-compiling into {args.pycache} ...", flush=True)
            compile_pycache(args.pycache)
            os.environ["PYTHONPYCACHEPREFIX"] = str(args.pycache)
        try:
            run_mode = "docker" if mode == "docker" else "process"
            coldstart.run(sheet, [run_mode], args.runs, "floor" in figures, "cold" in figures, label=mode)
        finally:
            if saved is None:
                os.environ.pop("PYTHONPYCACHEPREFIX", None)
            else:
                os.environ["PYTHONPYCACHEPREFIX"] = saved


def topology_figures(sheet: Sheet, args: argparse.Namespace, figures: list[str]) -> None:
    from bench import topo

    stacks = (["EcommerceStack"] if {"latency", "checkout"} & set(figures) else []) + (
        ["InventoryStack"] if "inventory" in figures else []
    )
    mode = args.topology_mode
    print(f"[topology: {','.join(stacks)}, {mode} mode, time scale {args.time_scale}]", flush=True)
    try:
        with topo.topology(stacks, mode, args.time_scale, args.api_port) as running:
            if "latency" in figures or "checkout" in figures:
                topo.ecommerce(
                    sheet,
                    running,
                    args.requests,
                    max(args.runs, 5) * 4,
                    latency="latency" in figures,
                    checkout="checkout" in figures,
                )
            if "inventory" in figures:
                sizes = [int(s) for s in args.inventory_rows.split(",") if s]
                try:
                    topo.inventory(sheet, running, sizes, args.inventory_runs, args.inventory_limit)
                except Exception as exc:  # noqa: BLE001 - report it as missing, keep the other figures
                    sheet.add(Row.na("inventory", "pipeline", "-", mode, f"{type(exc).__name__}: {exc}"[:400]))
    except Exception as exc:  # noqa: BLE001 - the other figures still count
        for figure in ("latency", "checkout", "inventory"):
            if figure in figures and not any(r.figure == figure for r in sheet.rows):
                sheet.add(Row.na(figure, "topology", "-", mode, f"{type(exc).__name__}: {exc}"[:400]))


def report(files: list[Path], out: Path | None, as_markdown: bool) -> int:
    """Merge result files (e.g. two invocations on the same commit), re-check the budgets, print and write them."""
    sheet = Sheet()
    metas = []
    for path in files:
        doc = json.loads(path.read_text())
        metas.append({"file": path.name, **doc["meta"]})
        sheet.rows += [Row(**row) for row in doc["rows"]]
    budgets(sheet)
    for row in sheet.rows:
        print(f"  {format_row(row)}")
    for b in sheet.budgets:
        print(f"  {b.status:<5} {b.name:<62} {b.limit:<18} {b.measured}")
    if as_markdown:
        print("\n" + full_markdown(sheet))
    if out:
        out.write_text(json.dumps(sheet.to_json({"merged": metas}), indent=2) + "\n")
        print(f"\nwrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--figures", default=",".join(FIGURES), help=f"comma-separated subset of {','.join(FIGURES)}")
    p.add_argument("--runs", type=int, default=5, help="fresh instances per cold-start figure, checkouts (default 5)")
    p.add_argument(
        "--modes",
        default="auto",
        help="cold-start modes: process, process+pyc, docker (comma-separated); auto = process,docker",
    )
    p.add_argument(
        "--topology-mode",
        choices=("process", "docker"),
        default="process",
        help="mode of the whole-topology figures (default process)",
    )
    p.add_argument("--requests", type=int, default=200, help="requests per latency series (default 200)")
    p.add_argument("--edits", type=int, default=10, help="devloop figure: saves per mode (default 10)")
    p.add_argument("--endpoint-backends", default="localrun,moto,ministack", help="endpoint figure: backends compared")
    p.add_argument(
        "--endpoint-load-messages", type=int, default=10000, help="endpoint figure: SQS messages moved under load"
    )
    p.add_argument("--inventory-rows", default="10000,100000", help="CSV sizes (default 10000,100000)")
    p.add_argument("--ingest-rows", default="10000,100000", help="CSV sizes for the ingest-alone figure")
    p.add_argument("--ingest-limit", type=float, default=600, help="ingest-alone function timeout in seconds")
    p.add_argument("--inventory-runs", type=int, default=1, help="uploads per CSV size (default 1)")
    p.add_argument("--inventory-limit", type=float, default=300, help="seconds before a CSV run counts as missed")
    p.add_argument("--time-scale", type=float, default=0.01, help="topology clock (batching windows etc.)")
    p.add_argument("--api-port", type=int, default=None, help="local API port (default: a free one)")
    p.add_argument("--pycache", type=Path, default=PYCACHE, help="private bytecode cache for process+pyc")
    p.add_argument("--markdown", action="store_true", help="also print the table as Markdown (for README.md)")
    p.add_argument(
        "--from-json",
        type=Path,
        nargs="+",
        default=None,
        help="measure nothing: merge these result files, re-check the budgets and print/write them",
    )
    p.add_argument("--out", type=Path, default=None, help="JSON file (default bench/results/<timestamp>.json)")
    args = p.parse_args(argv)

    if args.from_json:
        return report(args.from_json, args.out, args.markdown)
    figures = [f for f in args.figures.split(",") if f]
    unknown = set(figures) - set(FIGURES)
    if unknown:
        p.error(f"unknown figures {sorted(unknown)}")
    docker = docker_available()
    modes = ["process", "docker"] if args.modes == "auto" else [m for m in args.modes.split(",") if m]
    if "docker" in modes and not docker:
        print("no Docker engine: docker-mode figures are n/a")
    sheet = Sheet()
    started = datetime.now(UTC)
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "figures": figures,
        "runs": args.runs,
        "modes": modes,
        "topology_mode": args.topology_mode,
        "time_scale": args.time_scale,
        "git": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip(),
    }
    info = meta["machine"]
    print(f"bench {started:%Y-%m-%d %H:%M} UTC, {info['cpus']} CPUs, load {info['loadavg_at_start']}")

    if "cold" in figures or "floor" in figures:
        cold_figures(sheet, args, figures, modes, docker)
    if "images" in figures:
        print("[images]", flush=True)
        if docker:
            from bench import images

            images.run(sheet)
        else:
            sheet.add(Row.na("image", "all services", "size", "docker", "no Docker engine"))
    if {"latency", "checkout", "inventory"} & set(figures):
        topology_figures(sheet, args, figures)
    if "ingest" in figures:
        from bench import ingest

        print("[ingest alone: process]", flush=True)
        try:
            ingest.run(sheet, [int(s) for s in args.ingest_rows.split(",") if s], args.ingest_limit)
        except Exception as exc:  # noqa: BLE001 - report it as missing
            sheet.add(Row.na("inventory", "ingest alone", "-", "process", f"{type(exc).__name__}: {exc}"[:400]))

    if "endpoint" in figures:
        import tempfile

        from bench import endpoint

        backends = [b for b in args.endpoint_backends.split(",") if b]
        print(f"[endpoint: {', '.join(backends)}]", flush=True)
        workdir = Path(tempfile.mkdtemp(prefix="bench-endpoint-"))
        endpoint.run(sheet, args.requests, args.endpoint_load_messages, backends, workdir)

    if "devloop" in figures:
        from bench import devloop

        devloop.run(sheet, [m for m in modes if m in ("process", "docker") and (m != "docker" or docker)], args.edits)

    budgets(sheet)
    meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    meta["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print("\nBudgets:")
    for b in sheet.budgets:
        print(f"  {b.status:<5} {b.name:<62} {b.limit:<18} {b.measured}")
    RESULTS.mkdir(exist_ok=True)
    out = args.out or RESULTS / f"{started:%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(sheet.to_json(meta), indent=2) + "\n")
    if args.markdown:
        print("\n" + full_markdown(sheet))
    print(f"\nwrote {out}")
    return 0
