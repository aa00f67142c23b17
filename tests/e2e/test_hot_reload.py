"""Hot reload, seen from outside: save a service's source, the REST API answers with the change, no restart.

Each mode starts its own EcommerceStack with ``--reload`` (the session topology runs without it), edits the
product service's not-found message, and keeps requests going across the save: each is answered by the old or
the new code, none fails. The file is restored afterwards.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from localrun.instance import docker_available, free_port, image_exists
from localrun.launch import LaunchSettings, RunningTopology, spawn

REPO = Path(__file__).resolve().parents[2]
EDITED = REPO / "services" / "product" / "src" / "product" / "domain" / "catalog.py"
ORIGINAL = 'raise NotFoundError(f"product {product_id} not found")'

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - 127.0.0.1 only
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def restore_source() -> Iterator[str]:
    text = EDITED.read_text()
    assert ORIGINAL in text, "the product service's not-found message moved: update this test"
    try:
        yield text
    finally:
        EDITED.write_text(text)


def _topology(mode: str, tmp_path: Path) -> Iterator[RunningTopology]:
    settings = LaunchSettings(
        cdk_out=tmp_path / "cdk.out",
        stacks=("EcommerceStack",),
        mode=mode,  # type: ignore[arg-type]
        time_scale=0.01,
        port=free_port(),
        api_port=free_port(),
        reload=True,
    )
    with spawn(settings, tmp_path / "localrun.log", ready_timeout_s=900) as running:
        yield running


def _reload_is_seen_and_no_request_fails(running: RunningTopology, original: str) -> None:
    url = f"{running.api}/product/{uuid.uuid4()}"
    status, body = _get(url)
    assert status == 404 and "not found" in body, body
    marker = f"edited {uuid.uuid4().hex[:8]}"
    answers: list[tuple[int, str]] = []
    done = threading.Event()

    def keep_asking() -> None:  # bounded: at most 400 requests, 60 s
        deadline = time.monotonic() + 60
        while not done.is_set() and len(answers) < 400 and time.monotonic() < deadline:
            answers.append(_get(url))

    asker = threading.Thread(target=keep_asking)
    asker.start()
    time.sleep(0.5)
    # WHEN the service's source is saved
    EDITED.write_text(original.replace(ORIGINAL, ORIGINAL.replace('not found")', f'not found ({marker})")')))
    saved = time.monotonic()
    # THEN the API answers with the new code within seconds, without a restart
    new_seen = None
    while time.monotonic() - saved < 30:
        status, body = _get(url)
        if marker in body:
            new_seen = time.monotonic() - saved
            assert status == 404
            break
        time.sleep(0.1)
    time.sleep(0.5)
    done.set()
    asker.join(60)
    assert new_seen is not None, "the change never reached the API:\n" + "\n".join(running.log[-30:])
    # AND every request during the reload was answered, by the old code or the new
    assert answers, "no concurrent request was made"
    assert all(status == 404 and "not found" in body for status, body in answers), answers
    assert any("reload" in line and "product (code)" in line for line in running.log), running.log[-20:]


def test_process_mode_reloads_a_saved_service_without_losing_a_request(tmp_path: Path, restore_source: str) -> None:
    for running in _topology("process", tmp_path):
        _reload_is_seen_and_no_request_fails(running, restore_source)
        assert not any("rebuilding image" in line for line in running.log)


@pytest.mark.docker
def test_docker_mode_reloads_a_saved_service_without_a_rebuild(tmp_path: Path, restore_source: str) -> None:
    if not docker_available():
        pytest.skip("no Docker engine")
    if not image_exists("product"):
        pytest.skip("the product image is not built (the docker phase builds it)")
    for running in _topology("docker", tmp_path):
        _reload_is_seen_and_no_request_fails(running, restore_source)
        assert not any("rebuilding image" in line for line in running.log)
