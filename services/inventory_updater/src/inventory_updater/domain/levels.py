"""Last-writer-wins inventory levels.

Each update gets a *sequence*: its ``update_date`` (UTC, fixed width, so strings sort by time) then its idempotency
key. The store applies an update only if its sequence is greater than the stored one, in one conditional write, so:

* a redelivered or replayed message has an equal sequence and changes nothing (a duplicate);
* an older update has a smaller sequence and changes nothing (stale);
* two different updates with the same ``update_date`` are ordered by key, not by arrival, so every replay order
  converges on the same state. The ingest function's keys end with the zero-padded line number, so within one file
  the later line wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from inventory_updater.models.update import InventoryUpdate
from inventory_updater.ports import InventoryStore, WriteRejected


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class InventoryLevel:
    product_id: str
    location: str
    quantity: int
    update_date: str
    sequence: str
    idempotency_key: str


def utc_timestamp(update: InventoryUpdate) -> str:
    """Fixed width (isoformat pads the year to 4 digits, unlike strftime), so the strings sort by time."""
    return update.update_date.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def sequence_of(update: InventoryUpdate) -> str:
    return f"{utc_timestamp(update)}|{update.dedup_key}"


def level_from(update: InventoryUpdate) -> InventoryLevel:
    return InventoryLevel(
        product_id=update.product_id,
        location=update.location,
        quantity=update.quantity,
        update_date=utc_timestamp(update),
        sequence=sequence_of(update),
        idempotency_key=update.dedup_key,
    )


def apply_update(update: InventoryUpdate, store: InventoryStore) -> Outcome:
    """Record ``update`` if it is the newest seen for its (product_id, location); report what happened."""
    level = level_from(update)
    try:
        store.put_if_newer(level)
    except WriteRejected as rejected:
        return Outcome.DUPLICATE if rejected.current_sequence == level.sequence else Outcome.STALE
    return Outcome.APPLIED
