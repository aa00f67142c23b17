"""A rejected input line, as the rejects report records it (the domain decides, the port stores)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rejection:
    """An invalid line: its number, why it was rejected and its text (as far as it could be decoded)."""

    line: int
    reason: str
    content: str
