"""boto3 clients shared by a process.

One session per process (creating sessions and clients is the costliest part of a cold start), created lazily
so a handler that never talks to AWS never pays for boto3. Endpoints come from the standard settings
(``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``), so the same code talks to AWS or to a local endpoint.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _session() -> Any:
    import boto3

    return boto3.session.Session()


@cache
def client(service_name: str) -> Any:
    """Return the process-wide boto3 client for ``service_name`` (e.g. ``"dynamodb"``)."""
    from botocore.config import Config

    # Standard retry mode with a few attempts: throttles are retried, real failures surface quickly.
    return _session().client(service_name, config=Config(retries={"max_attempts": 4, "mode": "standard"}))


@cache
def resource(service_name: str) -> Any:
    """Return the process-wide boto3 resource for ``service_name``."""
    return _session().resource(service_name)
