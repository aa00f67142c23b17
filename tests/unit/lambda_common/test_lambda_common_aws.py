"""lambda_common.aws: one boto3 session per process; clients shared, on the standard endpoint settings (no network)."""

from __future__ import annotations

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
