"""An image built exactly as `cdk deploy` builds it (from cdk.out) answers under RIE: what is tested is deployed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from localrun.images import build_assembly_images, local_base_image, read_image_assets
from localrun.instance import FunctionSpec, start_instance
from localrun.launch import synthesise

pytestmark = [pytest.mark.docker, pytest.mark.slow]

MAX_IMAGE_BYTES = 200 * 1000 * 1000


def _function_using(template: dict[str, Any], asset_hash: str) -> dict[str, Any]:
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function" and asset_hash in json.dumps(resource["Properties"]["Code"]):
            props: dict[str, Any] = resource["Properties"]
            return props
    raise AssertionError(f"no function uses image asset {asset_hash}")


def _inspect(image: str, fmt: str) -> str:
    proc = subprocess.run(["docker", "image", "inspect", "-f", fmt, image], capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def test_the_deployed_image_of_backtosource_answers_the_seed_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the stack synthesised as `cdk deploy` synthesises it (in a subprocess, on this machine's base image)
    monkeypatch.setenv("BASE_IMAGE", local_base_image())
    cdk_out = tmp_path / "cdk.out"
    synthesise(cdk_out, ["EventBridgeServicesStack"])
    (asset,) = [a for a in read_image_assets(cdk_out) if a.service == "backtosource"]
    assert asset.platform == "linux/amd64" and asset.dockerfile == "services/backtosource/Dockerfile"
    # WHEN its image asset is built with the CLI's command from the staged directory, and run with the function's
    # command from the template (ImageConfig), under RIE
    build_assembly_images(cdk_out, ["backtosource"])
    template = json.loads((cdk_out / "EventBridgeServicesStack.template.json").read_text())
    function = _function_using(template, asset.hash)
    (handler,) = function["ImageConfig"]["Command"]
    spec = FunctionSpec(
        name="backtosource", service="backtosource", handler=handler, timeout_s=10, image=asset.local_tag
    )
    with start_instance(spec, "docker", output=subprocess.DEVNULL) as instance:
        result = instance.invoke(json.dumps({"message": "Hello World"}).encode())
    # THEN it answers with the seed's response
    assert result.ok
    assert result.json() == {"statusCode": 200, "reponse": "Hello Lambda"}
    # AND the image is small and carries no build tooling (uv, wheels, caches) from its build stage
    assert int(_inspect(asset.local_tag, "{{.Size}}")) < MAX_IMAGE_BYTES
    leftovers = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "sh",
            asset.local_tag,
            "-c",
            "ls -d /var/task/uv /var/task/bin /tmp/uv /cache /src /var/task/*.whl 2>/dev/null; true",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert leftovers.stdout.strip() == ""
