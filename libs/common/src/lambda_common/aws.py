"""boto3 clients shared by a process.

One boto3 session per process (creating sessions and clients is the costliest part of a cold start), created
lazily so a handler that never talks to AWS never pays for boto3. Endpoints come from the standard settings
(``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``), so the same code talks to AWS or to a local endpoint.
Functions use clients, not resources (a DynamoDB resource and Table cost ~60-100 ms more of a cold start); DynamoDB
items are converted with boto3's serializers in ``lambda_common.dynamodb``.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


def _config() -> Any:
    from botocore.config import Config

    # Standard retry mode with a few attempts: throttles are retried, real failures surface quickly.
    return Config(retries={"max_attempts": 4, "mode": "standard"})


@cache
def client(service_name: str) -> Any:
    """Return the process-wide boto3 client for ``service_name`` (e.g. ``"dynamodb"``)."""
    return _session().client(service_name, config=_config())


@cache
def resource(service_name: str) -> Any:
    """Return the process-wide boto3 resource for ``service_name`` (tests and tools; functions use clients)."""
    return _session().resource(service_name)


def reset() -> None:
    """Forget every session, client and resource, e.g. after the endpoint or credentials changed (tests)."""
    client.cache_clear()
    resource.cache_clear()
    _session.cache_clear()
