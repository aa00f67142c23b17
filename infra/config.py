"""Synth-time settings read from CDK context (``-c key=value``) with environment fallbacks.

Everything here must be deterministic for a given checkout and context: no clocks, no lookups.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from constructs import Construct

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICES_DIR = REPO_ROOT / "services"

# The service Dockerfiles default to this too; air-gapped deploys pass `-c baseImage=lambda-base:bookworm`.
DEFAULT_BASE_IMAGE = "python:3.12-slim-bookworm"

# Context keys (documented in docs/DEPLOY.md).
CTX_BASE_IMAGE = "baseImage"
CTX_PROVISIONED_CONCURRENCY = "provisionedConcurrency"
CTX_LOG_LEVEL = "logLevel"
CTX_RETAIN_DATA = "retainData"
CTX_ALARM_EMAIL = "alarmEmail"
CTX_ARCHITECTURE = "architecture"
ARCHITECTURES = ("x86_64", "arm64")


class ServiceFolderMissingError(FileNotFoundError):
    """A stack refers to a service whose folder (or Dockerfile) is not in the checkout."""


def service_dir(service: str) -> Path:
    """The Docker build context of ``service``; fails synth with the folder named when it is missing."""
    folder = SERVICES_DIR / service
    if not (folder / "Dockerfile").is_file():
        raise ServiceFolderMissingError(
            f"services/{service}/Dockerfile not found (looked in {folder}); "
            f"the stack that deploys '{service}' cannot be synthesised without it"
        )
    return folder


def base_image(scope: Construct) -> str:
    """BASE_IMAGE build argument for every service image: context `baseImage`, else env BASE_IMAGE, else default."""
    value = scope.node.try_get_context(CTX_BASE_IMAGE) or os.environ.get("BASE_IMAGE") or DEFAULT_BASE_IMAGE
    return str(value)


def provisioned_concurrency(scope: Construct) -> int:
    """Provisioned concurrency per event-driven service; 0 (the default) means none and no alias."""
    raw = scope.node.try_get_context(CTX_PROVISIONED_CONCURRENCY)
    if raw in (None, "", False):
        return 0
    value = int(raw)
    if value < 0:
        raise ValueError(f"context {CTX_PROVISIONED_CONCURRENCY} must be >= 0, got {raw!r}")
    return value


def log_level(scope: Construct) -> str:
    return str(scope.node.try_get_context(CTX_LOG_LEVEL) or "INFO").upper()


def retain_data(scope: Construct) -> bool:
    """Keep tables and the upload bucket on `cdk destroy` (the default: orders and stock are business records);
    `-c retainData=false` deploys them to be deleted with the stack."""
    raw = scope.node.try_get_context(CTX_RETAIN_DATA)
    if raw is None or raw == "":
        return True
    value = str(raw).lower()
    if value not in ("1", "true", "yes", "0", "false", "no"):
        raise ValueError(f"context {CTX_RETAIN_DATA} must be true or false, got {raw!r}")
    return value in ("1", "true", "yes")


def alarm_email(scope: Construct) -> str | None:
    """An address to subscribe to every stack's alarm topic (`-c alarmEmail=ops@example.com`), or None."""
    raw = scope.node.try_get_context(CTX_ALARM_EMAIL)
    if raw in (None, ""):
        return None
    value = str(raw).strip()
    # The shape only: SNS sends a confirmation message, which is the real check.
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError(f"context {CTX_ALARM_EMAIL} must be an e-mail address, got {raw!r}")
    return value


def architecture(scope: Construct) -> str:
    """CPU architecture of every function and its image: x86_64 (default) or arm64 (Graviton, cheaper)."""
    value = str(scope.node.try_get_context(CTX_ARCHITECTURE) or "x86_64")
    if value not in ARCHITECTURES:
        raise ValueError(f"context {CTX_ARCHITECTURE} must be one of {ARCHITECTURES}, got {value!r}")
    return value
