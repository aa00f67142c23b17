"""Last-writer-wins inventory levels.

Each update gets a *sequence*: its ``update_date`` (UTC, fixed width, so strings sort by time), then its *upload
order*, then its idempotency key. The store applies an update only if its sequence is greater than the stored one,
in one conditional write, so:

* a redelivered or replayed message has an equal sequence and changes nothing (a duplicate);
* an older update has a smaller sequence and changes nothing (stale);
* of two updates with the same ``update_date`` from uploads of the same S3 key, the later upload wins: the upload
  order is S3's ``sequencer`` of the ObjectCreated event, which grows with every write of a key, so a correction
  uploaded again under the same key always wins and a replayed older event never overwrites a newer one;
* S3 gives no order across keys (their sequencers are not comparable), so uploads of different keys with the same
  ``update_date`` are ordered by a digest of the key: arbitrary but fixed, so every delivery order converges.
  A correction in another file wins by carrying a later ``update_date`` (a date-time).
* within one file the later line wins: the ingest function's keys end with the zero-padded line number.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from inventory_updater.models.level import InventoryLevel
from inventory_updater.models.update import InventoryUpdate
from inventory_updater.ports import InventoryStore, StoredLevel, WriteRejected


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class UpdateResult:
    outcome: Outcome
    level: InventoryLevel  # what the update offered
    stored: StoredLevel | None = None  # for a duplicate or stale update: the level that stays


def utc_timestamp(update: InventoryUpdate) -> str:
    """Fixed width (isoformat pads the year to 4 digits, unlike strftime), so the strings sort by time."""
    return update.update_date.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def sequence_of(update: InventoryUpdate) -> str:
    return f"{utc_timestamp(update)}|{update.upload_order}|{update.dedup_key}"


def level_from(update: InventoryUpdate) -> InventoryLevel:
    return InventoryLevel(
        product_id=update.product_id,
        location=update.location,
        quantity=update.quantity,
        update_date=utc_timestamp(update),
        sequence=sequence_of(update),
        idempotency_key=update.dedup_key,
    )


def apply_update(update: InventoryUpdate, store: InventoryStore) -> UpdateResult:
    """Record ``update`` if it is the newest seen for its (product_id, location); report what happened."""
    level = level_from(update)
    try:
        store.put_if_newer(level)
    except WriteRejected as rejected:
        stored = rejected.stored
        duplicate = stored is not None and stored.sequence == level.sequence
        return UpdateResult(Outcome.DUPLICATE if duplicate else Outcome.STALE, level, stored)
    return UpdateResult(Outcome.APPLIED, level)
