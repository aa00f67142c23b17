"""The one start path's synth-if-needed rule (localrun.launch.needs_synth: a content hash of the inputs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from localrun.freshness import record_assembly
from localrun.launch import LaunchSettings, needs_synth


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "infra").mkdir(parents=True)
    (root / "services" / "svc").mkdir(parents=True)
    (root / "cdk.json").write_text("{}")
    (root / "infra" / "app.py").write_text("")
    (root / "services" / "svc" / "Dockerfile").write_text("")
    return root


def _assembly(tmp_path: Path, root: Path, stacks: tuple[str, ...]) -> Path:
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    record_assembly(out, root, stacks)  # what synthesise() leaves beside the manifest
    return out


def test_a_current_assembly_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BASE_IMAGE", raising=False)
    root = _repo(tmp_path)
    out = _assembly(tmp_path, root, ("A",))
    assert needs_synth(out, ("A",), root) is None
    os.utime(root / "infra" / "app.py")  # touched, not changed (a checkout, an editor's save of the same text)
    assert needs_synth(out, ("A",), root) is None


def test_synth_when_missing_or_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BASE_IMAGE", raising=False)
    root = _repo(tmp_path)
    assert needs_synth(tmp_path / "nothing", ("A",), root) == "no cloud assembly yet"
    out = _assembly(tmp_path, root, ("A",))
    assert needs_synth(out, ("A", "B"), root)  # another selection of stacks
    monkeypatch.setenv("BASE_IMAGE", "other:1")
    assert needs_synth(out, ("A",), root)  # BASE_IMAGE is synthesised into the image assets
    monkeypatch.delenv("BASE_IMAGE")
    assert needs_synth(out, ("A",), root) is None
    (root / "infra" / "app.py").write_text("CHANGED = True\n")
    assert "changed since the last synth" in (needs_synth(out, ("A",), root) or "")


def test_settings_are_the_cli_options() -> None:
    argv = LaunchSettings(stacks=("A", "B"), mode="process", port=1, api_port=2, build_images=True).argv()
    assert argv[argv.index("--stacks") + 1] == "A,B"
    assert argv[argv.index("--port") + 1] == "1" and argv[argv.index("--api-port") + 1] == "2"
    assert "--build-images" in argv


def test_the_console_options_round_trip_through_the_cli() -> None:
    from localrun.topology import parse_args, settings_from

    for settings in (LaunchSettings(console_port=4999, trace_hops=20_000), LaunchSettings(console_port=None)):
        assert settings_from(parse_args(settings.argv())) == settings
    assert LaunchSettings().console == "http://127.0.0.1:4567/"


@pytest.mark.parametrize("option", ["--trace-hops", "--pool-max"])
@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_a_count_below_one_or_not_a_number_is_refused_with_the_option_named(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from localrun.topology import parse_args

    with pytest.raises(SystemExit) as exited:
        parse_args([option, value])
    assert exited.value.code == 2 and f"argument {option}" in capsys.readouterr().err
