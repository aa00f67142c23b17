"""AWS SDK clients shared by a process.

One botocore session per process (creating sessions and clients is the costliest part of a cold start), created
lazily so a handler that never talks to AWS never pays for the SDK. Endpoints come from the standard settings
(``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``), so the same code talks to AWS or to a local endpoint.

Clients are botocore clients, which is what ``boto3.client`` returns too. boto3 itself (its session layer, the
resource layer and s3transfer) is imported only for what needs it: S3 clients, whose transfer methods
(``upload_fileobj``...) boto3 adds, and ``resource()``. Importing it cost ~50 ms of CPU of every cold start on the
benchmark machine; DynamoDB items are converted by ``lambda_common.dynamodb`` instead of boto3's resource layer.
"""

from __future__ import annotations

from functools import cache
from typing import Any

#: Services whose clients get methods from boto3 (S3's managed transfers), so they are made through boto3.
_BOTO3_CLIENTS = frozenset({"s3"})


@cache
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@cache
def _boto3_session() -> Any:
    """A boto3 session over the process's botocore session (one credential chain, one loader cache)."""
    import boto3

    return boto3.session.Session(botocore_session=_session())


def _config() -> Any:
    from botocore.config import Config

    # Standard retry mode with a few attempts: throttles are retried, real failures surface quickly.
    return Config(retries={"max_attempts": 4, "mode": "standard"})


@cache
def client(service_name: str) -> Any:
    """Return the process-wide client for ``service_name`` (e.g. ``"dynamodb"``)."""
    if service_name in _BOTO3_CLIENTS:
        return _boto3_session().client(service_name, config=_config())
    return _session().create_client(service_name, config=_config())


@cache
def resource(service_name: str) -> Any:
    """Return the process-wide boto3 resource for ``service_name`` (tests and tools; functions use clients)."""
    return _boto3_session().resource(service_name)


def reset() -> None:
    """Forget every session, client and resource, e.g. after the endpoint or credentials changed (tests)."""
    client.cache_clear()
    resource.cache_clear()
    _boto3_session.cache_clear()
    _session.cache_clear()
