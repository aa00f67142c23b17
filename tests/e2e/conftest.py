"""The whole local topology, started once per session and driven only from outside (HTTP and the AWS endpoint).

Starts the stacks whose service images exist (or ``$LOCALRUN_E2E_STACKS``) the way every caller does
(``localrun.launch.spawn``: synth, start, READY) with a fast clock on free ports, and stops it at the end.
``$LOCALRUN_E2E_MODE`` picks docker (default) or process mode.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from localrun.instance import docker_available, free_port, image_exists
from localrun.launch import LaunchSettings, spawn, stop_process_group
from localrun_testing import TopologyUnderTest

REPO = Path(__file__).resolve().parents[2]
TIME_SCALE = float(os.environ.get("LOCALRUN_E2E_TIME_SCALE", "0.01"))
START_TIMEOUT_S = 900  # synth included


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


@pytest.fixture(scope="session")
def local_topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TopologyUnderTest]:
    mode = os.environ.get("LOCALRUN_E2E_MODE", "docker")
    if mode not in ("docker", "process"):
        raise ValueError(f"LOCALRUN_E2E_MODE={mode!r}: use docker or process")
    if mode == "docker" and not docker_available():
        pytest.skip("no Docker engine")
    stacks, missing = _runnable_stacks(mode)
    if not stacks:
        pytest.skip(f"no stack can run: {missing}")
    outdir = tmp_path_factory.mktemp("cdk.out")
    extra = os.environ.get("LOCALRUN_E2E_ARGS", "")
    settings = LaunchSettings(
        cdk_out=outdir,
        stacks=tuple(stacks),
        mode=mode,
        time_scale=TIME_SCALE,
        port=free_port(),
        api_port=free_port(),
        console_port=free_port(),
        extra_args=tuple(extra.split()),
    )
    log_file = outdir.parent / "localrun.log"
    with spawn(settings, log_file, ready_timeout_s=START_TIMEOUT_S) as running:
        try:
            yield TopologyUnderTest(
                running.endpoint, running.api, stacks, missing, running.log, console=running.settings.console
            )
        finally:
            stop_process_group(running.proc)
            sys.stderr.write(f"\nlocal topology log: {log_file}\n")
    if mode == "docker":  # Ctrl-C / SIGTERM must leave nothing running
        from localrun.instance import CONTAINER_LABEL

        left = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label={CONTAINER_LABEL}={running.proc.pid}"],
            capture_output=True,
            text=True,
        ).stdout.split()
        assert left == [], f"containers left running after the runner stopped: {left}"
