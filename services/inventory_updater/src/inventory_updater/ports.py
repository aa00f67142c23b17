"""What the updater domain needs: a store that writes a level only if it is newer, atomically."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from inventory_updater.domain.levels import InventoryLevel


class WriteRejected(Exception):
    """The stored level's sequence is not older than the one offered; nothing was written."""

    def __init__(self, current_sequence: str | None) -> None:
        super().__init__(f"stored sequence {current_sequence!r} is not older")
        self.current_sequence = current_sequence


class InventoryStore(Protocol):
    def put_if_newer(self, level: InventoryLevel) -> None:
        """Write ``level`` unless the stored level has a sequence >= its own; then raise :class:`WriteRejected`."""
        ...
