"""Reading the cloud assembly's image assets and building them with the command `cdk deploy` runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from localrun.images import BuildError, read_image_assets


def _manifest(cdk_out: Path, stack: str, images: dict[str, str]) -> None:
    entries = {
        asset_hash: {
            "source": {
                "directory": f"asset.{asset_hash}",
                "dockerFile": f"services/{service}/Dockerfile",
                "dockerBuildArgs": {"BASE_IMAGE": "lambda-base:bookworm"},
                "platform": "linux/amd64",
            },
            "destinations": {"current_account-current_region": {"imageTag": asset_hash}},
        }
        for asset_hash, service in images.items()
    }
    (cdk_out / f"{stack}.assets.json").write_text(
        json.dumps({"version": "48.0.0", "files": {}, "dockerImages": entries})
    )


def test_each_image_asset_is_read_once_with_its_service_and_build_settings(tmp_path: Path) -> None:
    # GIVEN two stacks sharing one asset (the same service image) and one with two
    _manifest(tmp_path, "A", {"h1": "dlq_demo"})
    _manifest(tmp_path, "B", {"h1": "dlq_demo", "h2": "product"})
    # WHEN the assets are read
    assets = read_image_assets(tmp_path)
    # THEN each appears once, named after its service folder, with the staged context
    assert [(a.service, a.hash) for a in assets] == [("dlq_demo", "h1"), ("product", "h2")]
    assert assets[1].directory == (tmp_path / "asset.h2").resolve()


def test_the_build_command_is_the_one_cdk_assets_runs(tmp_path: Path) -> None:
    # GIVEN an asset / THEN it is built as cdk-assets builds it (aws-cdk's DockerImage build, run in the staged
    # directory): build args, local tag, file, platform, context "."
    _manifest(tmp_path, "A", {"H2": "product"})
    (asset,) = read_image_assets(tmp_path)
    assert asset.build_command() == [
        "docker",
        "build",
        "--build-arg",
        "BASE_IMAGE=lambda-base:bookworm",
        "--tag",
        "cdkasset-h2",
        "--file",
        "services/product/Dockerfile",
        "--platform",
        "linux/amd64",
        ".",
    ]


def test_an_assembly_without_manifests_says_to_synthesise(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="npx cdk synth"):
        read_image_assets(tmp_path)
