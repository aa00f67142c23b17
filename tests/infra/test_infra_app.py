"""Whole-app properties: stack names, determinism, cdk-nag, cfn-lint, the `cdk` CLI."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra import config
from infra.app import STACK_SERVICES, STACKS
from infra.assembly import Assembly, buildable_stacks, synth_app

REPO_ROOT = Path(__file__).resolve().parents[2]

EXPECTED_STACKS = {
    "EventBridgeServicesStack",
    "SQSDLQStack",
    "LambdaDlqStack",
    "LambdaDestinationDlqStack",
    "InventoryStack",
    "EcommerceStack",
}


def test_the_app_defines_exactly_the_contracted_stack_names() -> None:
    # GIVEN / WHEN the app's stack table / THEN names match the contract and every stack names its services
    assert set(STACKS) == EXPECTED_STACKS
    assert set(STACK_SERVICES) == EXPECTED_STACKS


def test_every_service_folder_the_stacks_build_exists() -> None:
    # GIVEN the folders the stacks build images from
    wanted = {svc for svcs in STACK_SERVICES.values() for svc in svcs}
    missing = sorted(svc for svc in wanted if not (config.SERVICES_DIR / svc / "Dockerfile").is_file())
    # THEN all of them have a Dockerfile (until then, those stacks are skipped by the other tests)
    assert not missing, f"services without a Dockerfile: {missing}"


def test_a_missing_service_folder_fails_synth_with_the_folder_named() -> None:
    # GIVEN a service that does not exist / WHEN its folder is resolved / THEN the error names it
    with pytest.raises(config.ServiceFolderMissingError, match=r"services/no_such_service/Dockerfile"):
        config.service_dir("no_such_service")


def test_synth_writes_one_template_per_buildable_stack(synthesized: Assembly) -> None:
    # GIVEN the session synth / THEN there is a template for every stack that could be built
    names = set(synthesized.stack_names())
    assert names == set(buildable_stacks())
    assert {"EventBridgeServicesStack"} <= names


def test_two_synths_produce_identical_templates_and_asset_manifests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a frozen copy of what the image assets hash (other engineers change the real checkout meanwhile), and two
    # synths of it, the second after a local wheelhouse appeared (the hashes must not depend on it)
    frozen = tmp_path / "repo"
    for rel in (".dockerignore", "pyproject.toml", "uv.lock", "docker/install-service.sh"):
        (frozen / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, frozen / rel)
    clutter = shutil.ignore_patterns(".venv", "__pycache__", "tests", "*.egg-info")
    shutil.copytree(REPO_ROOT / "libs", frozen / "libs", ignore=clutter)
    shutil.copytree(config.SERVICES_DIR, frozen / "services", ignore=clutter)
    monkeypatch.setattr(config, "REPO_ROOT", frozen)
    monkeypatch.setattr(config, "SERVICES_DIR", frozen / "services")
    first = synth_app(tmp_path / "first")
    (frozen / ".wheelhouse").mkdir()
    (frozen / ".wheelhouse" / "dep-1.0-py3-none-any.whl").write_text("machine-local")
    second = synth_app(tmp_path / "second")
    # THEN templates and asset manifests (image hashes, build args) are byte-for-byte equal
    for pattern in ("*.template.json", "*.assets.json"):
        a_files = sorted(first.outdir.glob(pattern))
        b_files = sorted(second.outdir.glob(pattern))
        assert [p.name for p in a_files] == [p.name for p in b_files]
        assert a_files
        for a, b in zip(a_files, b_files, strict=True):
            assert a.read_text() == b.read_text(), f"{a.name} differs between synths"


def test_templates_carry_no_timestamps_or_absolute_paths(synthesized: Assembly) -> None:
    # GIVEN every template / THEN nothing machine- or time-specific leaked into it
    for path in synthesized.template_files():
        text = path.read_text()
        assert str(REPO_ROOT) not in text, path.name
        assert "/tmp/" not in text, path.name


def test_cdk_nag_finds_nothing_unsuppressed(synthesized: Assembly) -> None:
    # GIVEN the AwsSolutions reports and the annotations cdk-nag attached during synth
    findings: list[object] = []
    for report in synthesized.outdir.glob("AwsSolutions-*-NagReport.csv"):
        with report.open(newline="") as fh:
            findings += [row for row in csv.DictReader(fh) if row["Compliance"] == "Non-Compliant"]
    for meta in synthesized.outdir.glob("*.metadata.json"):
        for path, entries in json.loads(meta.read_text()).items():
            findings += [(path, e["data"]) for e in entries if e["type"] in ("aws:cdk:error", "aws:cdk:warning")]
    # THEN there are none, and the reports exist for every stack
    assert not findings
    assert len(list(synthesized.outdir.glob("AwsSolutions-*-NagReport.csv"))) == len(buildable_stacks())


def test_every_nag_suppression_has_a_written_reason(synthesized: Assembly) -> None:
    # GIVEN the suppressed rows of the nag reports / THEN each carries a reason of some substance
    for report in synthesized.outdir.glob("AwsSolutions-*-NagReport.csv"):
        with report.open(newline="") as fh:
            for row in csv.DictReader(fh):
                if row["Compliance"] == "Suppressed":
                    assert len(row["Exception Reason"]) >= 20, row


def test_cfn_lint_passes_on_every_template(synthesized: Assembly) -> None:
    # GIVEN the synthesised templates and the checked-in .cfnlintrc (ignored checks carry reasons there)
    templates = [str(p) for p in synthesized.template_files()]
    # WHEN cfn-lint runs over them
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())", *templates],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN no errors and no (unignored) warnings
    assert result.returncode == 0, result.stdout + result.stderr


def _cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CDK_DISABLE_VERSION_CHECK": "1",
            "CDK_DISABLE_CLI_TELEMETRY": "1",
            # No credentials lookups that leave the machine (instance metadata).
            "AWS_EC2_METADATA_DISABLED": "true",
            "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
        }
    )
    return env


@pytest.mark.slow
@pytest.mark.skipif(
    not (REPO_ROOT / "node_modules" / ".bin" / "cdk").exists() or shutil.which("node") is None,
    reason="needs `npm ci` (the pinned aws-cdk CLI) and node",
)
def test_the_pinned_cdk_cli_synthesises_the_app_from_cdk_json(tmp_path: Path) -> None:
    # GIVEN the CLI pinned in package-lock.json and the app command in cdk.json
    if set(buildable_stacks()) != EXPECTED_STACKS:
        pytest.skip("a service folder is missing, so the whole app cannot synthesise yet")
    cli = REPO_ROOT / "node_modules" / ".bin" / "cdk"
    # WHEN `cdk synth` runs (offline, no Docker, no credentials)
    result = subprocess.run(
        [str(cli), "synth", "--quiet", "--no-notices", "--output", str(tmp_path)],
        cwd=REPO_ROOT,
        env=_cli_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=280,
    )
    # THEN it succeeds and writes every stack
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert {p.name.removesuffix(".template.json") for p in tmp_path.glob("*.template.json")} == EXPECTED_STACKS
