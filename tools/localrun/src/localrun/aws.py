"""The runner's boto3 clients, typed, in two kinds that must not be mixed up:

* :class:`BackendClients` go straight to the AWS API backend (moto). The runner's own calls use them: shadow
  queues, pollers, destinations and DLQs. Nothing is rewritten on the way, so what the runner sends is what lands.
* :class:`EndpointClients` go through the local AWS endpoint (:4566), exactly as a function or a user's SDK does.
  Provisioning and the shortcuts use them, so a Lambda target they register takes the shadow-queue path.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from boto3.session import Session
from botocore.config import Config

from localrun.model import ACCOUNT_ID, DUMMY_CREDENTIALS_ENV, REGION, queue_name_from_arn

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

DUMMY_CREDENTIALS = {k.lower(): v for k, v in DUMMY_CREDENTIALS_ENV.items()}  # as boto3 client arguments
_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=64)


class _Clients:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    @staticmethod
    def _session() -> Session:
        # One session per client: creating clients from one session is not thread-safe.
        return Session(
            aws_access_key_id=DUMMY_CREDENTIALS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS_ENV["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )

    @cached_property
    def sqs(self) -> SQSClient:
        return self._session().client("sqs", endpoint_url=self.endpoint, config=_CONFIG)

    @cached_property
    def sns(self) -> SNSClient:
        return self._session().client("sns", endpoint_url=self.endpoint, config=_CONFIG)

    @cached_property
    def events(self) -> EventBridgeClient:
        return self._session().client("events", endpoint_url=self.endpoint, config=_CONFIG)

    @cached_property
    def s3(self) -> S3Client:
        return self._session().client("s3", endpoint_url=self.endpoint, config=_CONFIG)

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        return self._session().client("dynamodb", endpoint_url=self.endpoint, config=_CONFIG)

    @cached_property
    def cognito_idp(self) -> CognitoIdentityProviderClient:
        return self._session().client("cognito-idp", endpoint_url=self.endpoint, config=_CONFIG)

    @cached_property
    def lambda_(self) -> LambdaClient:
        return self._session().client("lambda", endpoint_url=self.endpoint, config=_CONFIG)

    def queue_url(self, arn_or_name: str) -> str:
        name = queue_name_from_arn(arn_or_name) if arn_or_name.startswith("arn:") else arn_or_name
        return f"{self.endpoint}/{ACCOUNT_ID}/{name}"


class BackendClients(_Clients):
    """Straight to the AWS API backend (moto): for the runner's own calls, never rewritten."""


class EndpointClients(_Clients):
    """Through the local AWS endpoint (:4566), like any SDK user: for provisioning and the shortcuts."""
