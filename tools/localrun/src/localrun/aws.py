"""boto3 clients the runner itself uses, pointed at the moto server behind the gateway."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from localrun.model import ACCOUNT_ID, DUMMY_CREDENTIALS_ENV, REGION, queue_name_from_arn

DUMMY_CREDENTIALS = {k.lower(): v for k, v in DUMMY_CREDENTIALS_ENV.items()}  # as boto3 client arguments


class Clients:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=REGION,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=64),
            **DUMMY_CREDENTIALS,
        )

    @cached_property
    def sqs(self) -> Any:
        return self.client("sqs")

    @cached_property
    def sns(self) -> Any:
        return self.client("sns")

    @cached_property
    def events(self) -> Any:
        return self.client("events")

    @cached_property
    def s3(self) -> Any:
        return self.client("s3")

    @cached_property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    def queue_url(self, arn_or_name: str) -> str:
        name = queue_name_from_arn(arn_or_name) if arn_or_name.startswith("arn:") else arn_or_name
        return f"{self.endpoint}/{ACCOUNT_ID}/{name}"
