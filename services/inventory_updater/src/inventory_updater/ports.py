"""What the updater domain needs: a store that writes a level only if it is newer, atomically."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from inventory_updater.models.level import InventoryLevel


@dataclass(frozen=True, slots=True)
class StoredLevel:
    """The level a rejected write left in place (what a stale update lost to)."""

    sequence: str
    quantity: int | None = None


class WriteRejected(Exception):
    """The stored level's sequence is not older than the one offered; nothing was written."""

    def __init__(self, stored: StoredLevel | None) -> None:
        super().__init__(f"stored sequence {stored.sequence if stored else None!r} is not older")
        self.stored = stored


class InventoryStore(Protocol):
    def put_if_newer(self, level: InventoryLevel) -> None:
        """Write ``level`` unless the stored level has a sequence >= its own; then raise :class:`WriteRejected`."""
        ...
