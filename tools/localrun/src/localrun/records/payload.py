"""How AWS puts a function's payload into the records it builds."""

from __future__ import annotations

import json
from typing import Any


def parse_payload(raw: bytes) -> Any:
    """A payload as JSON when it is JSON, else as text (what AWS puts in a record)."""
    try:
        return json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        return raw.decode(errors="replace")
