"""The greeting behaviour of the EventBridge service construct's demo services (backtosource, toanother).

Shared here because the seed copied the same handler into every service folder.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from lambda_common.logging import get_logger


class HelloResponse(BaseModel):
    """The seed's response. ``reponse`` (sic) is the seed's field name, kept so existing callers keep working."""

    model_config = ConfigDict(frozen=True)

    statusCode: int = 200  # noqa: N815 - wire name
    reponse: str = "Hello Lambda"


def greet(event: Any) -> dict[str, Any]:
    """Log the event the way the seed did and answer with the seed's greeting."""
    get_logger().info(f"Hello AWS! event = {json.dumps(event, default=str)}")
    return HelloResponse().model_dump()
