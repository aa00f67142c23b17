"""./runlocally.sh SERVICE + ./calllocally.sh SERVICE, driven as a user would, in process and docker mode."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from localrun.instance import free_port

ROOT = Path(__file__).resolve().parents[2]


def _start(service: str, port: int, *flags: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [str(ROOT / "runlocally.sh"), service, "--port", str(port), *flags],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300  # a docker-mode first run builds the image
    assert proc.stdout is not None
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("serving "):
            return proc
    proc.kill()
    raise AssertionError("runlocally.sh did not start:\n" + "".join(lines))


def _call(service: str, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "calllocally.sh"), service, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ | {"PORT": str(port)},
        timeout=120,
    )


def _stop(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=30)


@pytest.fixture(params=["process", pytest.param("docker", marks=pytest.mark.docker)])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[int, str]]:
    port = free_port()
    proc = _start("backtosource", port, f"--{request.param}")
    yield port, request.param
    _stop(proc)


def test_calllocally_gets_the_seed_response(served: tuple[int, str]) -> None:
    port, _mode = served
    # WHEN the default event is sent, and then an event file
    default = _call("backtosource", port)
    from_file = _call("backtosource", port, "services/backtosource/events/eventbridge.json")
    # THEN both print the seed's response
    assert default.returncode == 0 and '"reponse": "Hello Lambda"' in default.stdout
    assert from_file.returncode == 0 and '"statusCode": 200' in from_file.stdout


def test_stopping_leaves_nothing_running() -> None:
    # GIVEN a served service, WHEN it gets Ctrl-C
    port = free_port()
    proc = _start("toanother", port, "--process")
    _stop(proc)
    # THEN it exits cleanly and nothing listens on its port any more
    assert proc.returncode == 0
    assert _call("toanother", port).returncode != 0


def test_invalid_json_is_refused_before_sending() -> None:
    result = _call("backtosource", free_port(), '{"message": ')
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr


def test_unknown_service_lists_the_known_ones() -> None:
    result = subprocess.run([str(ROOT / "runlocally.sh"), "nosuchservice"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0
    assert "unknown service 'nosuchservice'" in result.stderr
    assert "backtosource" in result.stderr and "toanother" in result.stderr


def test_port_in_use_is_reported_with_the_port() -> None:
    port = free_port()
    proc = _start("backtosource", port, "--process")
    try:
        second = subprocess.run(
            [str(ROOT / "runlocally.sh"), "backtosource", "--process", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        _stop(proc)
    assert second.returncode != 0
    assert f"port {port}" in second.stderr


def test_missing_event_file_is_named() -> None:
    result = _call("backtosource", free_port(), "no-such-event.json")
    assert result.returncode == 2
    assert "no event file 'no-such-event.json'" in result.stderr


def test_bad_topology_option_is_rejected_before_any_synth() -> None:
    result = subprocess.run(
        [str(ROOT / "runlocally.sh"), "--process", "--no-such-option"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-option" in result.stderr
    assert "synthesising" not in result.stdout
