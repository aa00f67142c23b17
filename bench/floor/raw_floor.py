"""The raw floor: the cheapest possible handler, to compare every service's figures against."""

from typing import Any

RESPONSE = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}


def handler(event: Any, context: Any) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
    return RESPONSE
