"""The greeting behaviour of the EventBridge service construct's demo services (backtosource, toanother).

Shared here because the seed copied the same handler into every service folder.
"""

from __future__ import annotations

import json
from typing import Any

from lambda_common.logging import get_logger


def greet(event: Any) -> dict[str, Any]:
    """Log the event the way the seed did and answer with the seed's greeting.

    The answer is ``{"statusCode": 200, "reponse": "Hello Lambda"}``: ``reponse`` (sic) is the seed's field name,
    kept so existing callers keep working. A constant, so a plain dict rather than a pydantic model: importing
    pydantic was most of these handlers' import time (about 200 of 260 ms on the benchmark machine, bench/README.md).
    """
    get_logger().info(f"Hello AWS! event = {json.dumps(event, default=str)}")
    return {"statusCode": 200, "reponse": "Hello Lambda"}
