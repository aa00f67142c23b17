"""Opaque page tokens: DynamoDB's LastEvaluatedKey, base64url-encoded JSON.

Decoding checks the key names and types, so a forged or foreign token answers 400 instead of reaching DynamoDB
(which would answer a ValidationException, i.e. a 500).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from lambda_common.errors import InvalidInputError

#: What every token looks like (base64url, no padding), for the OpenAPI document.
PATTERN = r"^[A-Za-z0-9_-]+$"
DESCRIPTION = (
    "Opaque: the nextToken of the previous page of the same query (same filters). Any other value is refused with "
    "400 and the reason."
)


def encode(key: Mapping[str, Any] | None) -> str | None:
    if not key:
        return None
    raw = json.dumps({k: str(v) for k, v in key.items()}, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str | None, *, keys: frozenset[str]) -> dict[str, str] | None:
    if token is None:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        value = None
    if not isinstance(value, dict) or set(value) != keys or not all(isinstance(v, str) and v for v in value.values()):
        raise InvalidInputError("nextToken is not valid for this query")
    return value
