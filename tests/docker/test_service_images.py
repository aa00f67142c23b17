"""Every built service image answers through RIE over HTTP, as it would on Lambda (docker mode)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from localrun.images import known_services, load_service
from localrun.instance import FunctionSpec, start_instance

pytestmark = pytest.mark.docker


def _image_base(tag: str) -> str:
    out = subprocess.run(
        ["docker", "image", "inspect", "-f", '{{index .Config.Labels "io.lambda-microservices.base"}}', tag],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.mark.parametrize("service", ["backtosource", "toanother"])
def test_hello_image_answers_with_the_seed_response(service: str) -> None:
    # GIVEN the service image, built by ./test.sh, started under RIE
    spec = FunctionSpec(name=service, service=service, handler=load_service(service).handler, timeout_s=10)
    with start_instance(spec, "docker", output=subprocess.DEVNULL) as instance:
        # WHEN the seed's event is posted twice (cold, then warm)
        results = [instance.invoke(json.dumps({"message": "Hello World"}).encode()) for _ in range(2)]
    # THEN both answers are the seed's response, field name included
    for result in results:
        assert result.ok
        assert result.json() == {"statusCode": 200, "reponse": "Hello Lambda"}


def test_function_error_surfaces_as_an_error_result() -> None:
    # GIVEN the error-handling demo service image
    spec = FunctionSpec(name="dlq_demo", service="dlq_demo", handler=load_service("dlq_demo").handler, timeout_s=10)
    with start_instance(spec, "docker", output=subprocess.DEVNULL) as instance:
        # WHEN it is told to fail, and then to pass
        failed = instance.invoke(b'{"pass": false}')
        passed = instance.invoke(b'{"pass": true}')
    # THEN the failure carries the seed's message and the next invoke still succeeds
    assert not failed.ok
    assert failed.error_message == "Fail the Lambda function."
    assert passed.ok


@pytest.mark.parametrize("service", known_services())
def test_every_service_image_imports_its_handlers(service: str) -> None:
    # GIVEN a service image: WHEN python imports every declared entrypoint inside it (no AWS needed at import)
    svc = load_service(service)
    modules = sorted({h.rsplit(".", 1)[0] for h in svc.handlers.values()})
    env = ["-e", "POWERTOOLS_SERVICE_NAME=test"]
    for var in (
        "PRODUCT_TABLE_NAME",
        "BASKET_TABLE_NAME",
        "ORDER_TABLE_NAME",
        "EVENT_BUS_NAME",
        "IDEMPOTENCY_TABLE_NAME",
        "INVENTORY_TABLE_NAME",
    ):
        env += ["-e", f"{var}=t"]
    env += ["-e", "INVENTORY_QUEUE_URL=http://127.0.0.1:4566/000000000000/q", "-e", "AWS_DEFAULT_REGION=us-east-1"]
    code = "import importlib,sys; [importlib.import_module(m) for m in sys.argv[1:]]"
    proc = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", *env, "--entrypoint", "python3", service, "-c", code, *modules],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN every module imports cleanly
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="CI builds on the offline base; elsewhere any base is fine")
@pytest.mark.parametrize("service", known_services())
def test_ci_images_are_built_from_the_offline_base(service: str) -> None:
    assert _image_base(service) == "lambda-base:bookworm"
