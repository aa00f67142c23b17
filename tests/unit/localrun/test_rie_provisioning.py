"""RIE provisioning: the order of sources and the message when none works."""

from __future__ import annotations

from pathlib import Path

import pytest
from localrun import rie


def test_rie_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = tmp_path / "my-rie"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv("RIE_PATH", str(binary))
    assert rie.ensure_rie() == binary


def test_rie_path_that_is_not_executable_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIE_PATH", str(tmp_path / "missing"))
    with pytest.raises(rie.RieUnavailableError, match="RIE_PATH"):
        rie.ensure_rie()


def test_cached_copy_is_used_without_downloading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RIE_PATH", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached = rie.cache_dir() / f"aws-lambda-rie-{rie._arch()}"
    cached.parent.mkdir(parents=True)
    cached.write_text("#!/bin/sh\n")
    cached.chmod(0o755)
    monkeypatch.setattr(rie, "_from_release", lambda *a: pytest.fail("must not download"))
    assert rie.ensure_rie() == cached


def test_falls_back_to_the_sam_cli_wheel_then_explains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN no RIE_PATH, an empty cache, and every source failing
    monkeypatch.delenv("RIE_PATH", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tried: list[str] = []

    def release(*args: object) -> Path:
        tried.append("release")
        raise OSError("no route to host")

    def wheel(*args: object) -> Path:
        tried.append("wheel")
        raise OSError("index unreachable")

    monkeypatch.setattr(rie, "_from_release", release)
    monkeypatch.setattr(rie, "_from_sam_cli_wheel", wheel)
    # WHEN provisioning THEN both sources were tried, in order, and the error says what to do
    with pytest.raises(rie.RieUnavailableError) as err:
        rie.ensure_rie()
    assert tried == ["release", "wheel"]
    assert "RIE_PATH" in str(err.value) and "no route to host" in str(err.value)
