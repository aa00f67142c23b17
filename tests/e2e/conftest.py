"""The whole local topology, started once per session and driven only from outside (HTTP and the AWS endpoint).

Synthesises the CDK app (the stacks whose service images exist, or ``$LOCALRUN_E2E_STACKS``), starts
``python -m localrun.topology`` with a fast clock on free ports, waits for READY, and stops it at the end.
``$LOCALRUN_E2E_MODE`` picks docker (default) or process mode.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from localrun.instance import docker_available, free_port, image_exists
from localrun_testing import LocalTopology

REPO = Path(__file__).resolve().parents[2]
TIME_SCALE = float(os.environ.get("LOCALRUN_E2E_TIME_SCALE", "0.01"))
START_TIMEOUT_S = 300


def _stack_services() -> dict[str, tuple[str, ...]]:
    code = "import json; from infra.app import STACK_SERVICES; print(json.dumps(STACK_SERVICES))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True, timeout=120
    )
    return {k: tuple(v) for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def _ensure_image(service: str) -> bool:
    """Build a missing service image on a local base image (never pulls: no registry is reachable)."""
    if image_exists(service):
        return True
    from localrun.images import BuildError, build_image, local_base_image

    base = local_base_image()
    if not image_exists(base):
        return False
    try:
        build_image(service, base)
    except BuildError as exc:
        sys.stderr.write(f"e2e: could not build {service}: {exc}\n")
        return False
    return image_exists(service)


def _runnable_stacks(mode: str) -> tuple[list[str], dict[str, str]]:
    wanted = [s for s in os.environ.get("LOCALRUN_E2E_STACKS", "").split(",") if s]
    stacks, missing = [], {}
    for stack, services in _stack_services().items():
        if wanted and stack not in wanted:
            continue
        absent = [s for s in services if not (REPO / "services" / s / "Dockerfile").is_file()]
        if not absent and mode == "docker":
            absent = [s for s in services if not _ensure_image(s)]
        if absent:
            missing[stack] = f"service(s) not available: {', '.join(absent)}"
        else:
            stacks.append(stack)
    return stacks, missing


def _synth(stacks: list[str], outdir: Path) -> None:
    code = (
        "import sys, aws_cdk as cdk\n"
        "from infra.app import build_app, cdk_json_context\n"
        f"app = cdk.App(outdir={str(outdir)!r}, context=cdk_json_context())\n"
        f"build_app(app, only={stacks!r}).synth()\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, timeout=600)


@pytest.fixture(scope="session")
def local_topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTopology]:
    mode = os.environ.get("LOCALRUN_E2E_MODE", "docker")
    if mode == "docker" and not docker_available():
        pytest.skip("no Docker engine")
    stacks, missing = _runnable_stacks(mode)
    if not stacks:
        pytest.skip(f"no stack can run: {missing}")
    outdir = tmp_path_factory.mktemp("cdk.out")
    _synth(stacks, outdir)
    port, api_port = free_port(), free_port()
    cmd = [
        sys.executable,
        "-m",
        "localrun.topology",
        "--cdk-out",
        str(outdir),
        "--stacks",
        ",".join(stacks),
        "--time-scale",
        str(TIME_SCALE),
        "--mode",
        mode,
        "--port",
        str(port),
        "--api-port",
        str(api_port),
    ]
    extra = os.environ.get("LOCALRUN_E2E_ARGS", "")
    cmd += extra.split() if extra else []
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    topology = LocalTopology(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{api_port}", stacks, missing)
    ready = threading.Event()
    log_file = outdir.parent / "localrun.log"

    def pump() -> None:
        assert proc.stdout is not None
        with log_file.open("w") as fh:
            for line in proc.stdout:
                topology.log.append(line.rstrip())
                fh.write(line)
                fh.flush()
                if line.strip() == "READY":
                    ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.is_set() and proc.poll() is None and time.monotonic() < deadline:
        ready.wait(0.5)
    if not ready.is_set():
        _stop(proc)
        raise RuntimeError("local topology did not start:\n" + "\n".join(topology.log[-60:]))
    try:
        yield topology
    finally:
        _stop(proc)
        sys.stderr.write(f"\nlocal topology log: {log_file}\n")
    if mode == "docker":  # Ctrl-C / SIGTERM must leave nothing running
        from localrun.instance import CONTAINER_LABEL

        left = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label={CONTAINER_LABEL}={proc.pid}"], capture_output=True, text=True
        ).stdout.split()
        assert left == [], f"containers left running after the runner stopped: {left}"


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
