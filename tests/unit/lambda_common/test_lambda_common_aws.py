"""lambda_common.aws: one botocore session per process; boto3 only for S3 clients and resources (no network)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from lambda_common import aws


@pytest.fixture
def local_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    aws.reset()
    yield
    aws.reset()


def test_clients_are_shared_and_follow_the_standard_settings(local_endpoint: None) -> None:
    # WHEN
    dynamodb = aws.client("dynamodb")
    # THEN one client per service and process, on the configured endpoint and region, with standard retries
    assert aws.client("dynamodb") is dynamodb
    assert dynamodb.meta.endpoint_url == "http://127.0.0.1:1"
    assert dynamodb.meta.region_name == "eu-west-1"
    assert dynamodb.meta.config.retries == {"total_max_attempts": 5, "mode": "standard"}  # 4 retries
    # AND every client comes from the same session
    assert aws.client("events")._request_signer._credentials is dynamodb._request_signer._credentials


def test_s3_clients_have_boto3s_transfer_methods(local_endpoint: None) -> None:
    s3 = aws.client("s3")
    assert callable(s3.upload_fileobj) and callable(s3.download_fileobj)
    assert s3.meta.endpoint_url == "http://127.0.0.1:1"


def test_reset_forgets_clients(local_endpoint: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN
    before = aws.client("dynamodb")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    # WHEN
    aws.reset()
    # THEN
    assert aws.client("dynamodb") is not before
    assert aws.client("dynamodb").meta.endpoint_url == "http://127.0.0.1:2"


def test_a_dynamodb_client_does_not_import_boto3() -> None:
    # GIVEN a fresh interpreter (this one has imported boto3 already)
    code = (
        "import os, sys\n"
        "os.environ.update(AWS_DEFAULT_REGION='us-east-1', AWS_ACCESS_KEY_ID='t', AWS_SECRET_ACCESS_KEY='t')\n"
        "from lambda_common import aws\n"
        "aws.client('dynamodb'); aws.client('events')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 's3transfer')))\n"
    )
    # WHEN
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    # THEN
    assert out.stdout.strip() == "[]"
