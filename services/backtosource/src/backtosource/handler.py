"""Lambda entrypoint: `backtosource.handler.handler`."""

from __future__ import annotations

from typing import Any

from lambda_common.hello import greet


def handler(event: Any, _context: Any) -> dict[str, Any]:
    return greet(event)
