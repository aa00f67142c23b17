"""Figure ``devloop`` (issue 14): the developer's loop, per mode.

- first start: an empty assembly directory (so a synth) to READY;
- edit -> visible: save the product service's not-found message with a new marker, then GET a missing product
  every 20 ms until the marker answers (bounded: 30 s per edit); p50 of ``edits`` saves;
- restart: stop (SIGTERM, as Ctrl-C) and start again with nothing changed, to READY;
- state restored: the products written before the stop that the restarted runner serves (rows).

Starts go through ``localrun.launch.spawn`` (what ``./runlocally.sh`` runs after its bootstrap), with hot reload
and a state directory of its own, on free loopback ports. The edited file is restored afterwards.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

from localrun.instance import free_port
from localrun.launch import LaunchSettings, RunningTopology, spawn, stop_process_group

from bench.common import REPO, Row, Sheet
from bench.topo import call_api

EDITED = REPO / "services" / "product" / "src" / "product" / "domain" / "catalog.py"
ORIGINAL = 'raise NotFoundError(f"product {product_id} not found")'
ROWS = 50


def _settings(mode: str, workdir: Path) -> LaunchSettings:
    return LaunchSettings(
        cdk_out=workdir / "cdk.out",
        stacks=("EcommerceStack",),
        mode=mode,  # type: ignore[arg-type]
        time_scale=0.01,
        port=free_port(),
        api_port=free_port(),
        reload=True,
        state_dir=workdir / "state",
    )


def _edit_to_visible(running: RunningTopology, original: str, marker: str) -> float | None:
    port = running.settings.api_port
    path = f"/product/{uuid.uuid4()}"
    EDITED.write_text(original.replace(ORIGINAL, ORIGINAL.replace('not found")', f'not found ({marker})")')))
    saved = time.monotonic()
    while time.monotonic() - saved < 30:
        _, body, _ = call_api(port, "GET", path)
        if marker in str(body):
            return (time.monotonic() - saved) * 1000
        time.sleep(0.02)
    return None


def _admin_token(running: RunningTopology) -> str:
    from localrun.aws import EndpointClients
    from localrun.shortcuts import DEFAULT_PASSWORD, Shortcuts

    shortcuts = Shortcuts(EndpointClients(running.endpoint))
    return shortcuts.user("bench-admin", "EcommerceStack", True, None, DEFAULT_PASSWORD)


def run(sheet: Sheet, modes: list[str], edits: int = 10) -> None:
    original = EDITED.read_text()
    try:
        for mode in modes:
            print(f"[devloop: {mode}]", flush=True)
            _one_mode(sheet, mode, original, edits)
    finally:
        EDITED.write_text(original)


def _one_mode(sheet: Sheet, mode: str, original: str, edits: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-devloop-{mode}-"))
    settings = _settings(mode, workdir)
    t = time.monotonic()
    with spawn(settings, workdir / "first.log", ready_timeout_s=900) as running:
        sheet.add(Row.runs("devloop", "first start (synth)", "to READY", "s", mode, [time.monotonic() - t]))
        visible = []
        for i in range(edits):
            ms = _edit_to_visible(running, original, f"edit {i} {uuid.uuid4().hex[:6]}")
            if ms is not None:
                visible.append(ms)
            time.sleep(0.3)  # a developer does not save 10 times a second
        EDITED.write_text(original)
        sheet.add(Row.dist("devloop", "edit -> visible via API", "save to answer", "ms", mode, visible))
        ids = []
        admin = _admin_token(running)
        for i in range(ROWS):
            status, body, _ = call_api(
                settings.api_port,
                "POST",
                "/product",
                {"name": f"kept {i}", "price": "1.00", "category": "bench"},
                token=admin,
            )
            if status == 201:
                ids.append(body["id"])
        stop_process_group(running.proc)
    t = time.monotonic()
    with spawn(settings, workdir / "second.log", ready_timeout_s=900) as running:
        sheet.add(Row.runs("devloop", "restart, nothing changed", "to READY", "s", mode, [time.monotonic() - t]))
        found = sum(1 for pid in ids if call_api(settings.api_port, "GET", f"/product/{pid}")[0] == 200)
        sheet.add(
            Row.runs(
                "devloop",
                "state restored",
                "products back",
                "rows",
                mode,
                [float(found)],
                note=f"of {len(ids)} written",
            )
        )
