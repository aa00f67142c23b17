"""Coalesce rows per (product_id, location) before sending, keeping exactly the row the updater would keep.

The updater stores an update only if its *sequence* is greater than the stored one: the UTC ``update_date`` as a
fixed-width string, then the idempotency key, which ends with the zero-padded line number. Within one file every
key has the same prefix, so of all rows for one (product_id, location) the table ends up holding the one with the
greatest (UTC update_date, line), whatever else is sent. Sending only that row gives the same table as sending every
row, and saves a message, a Lambda batch slot and a conditional write per superseded row.

Memory is bounded by a window of pending keys, not by the file: when a row brings a new key into a full window,
the window's winners are handed out and a new window starts. A key seen again in a later window is sent again;
the updater's conditional write keeps whichever is newer, so the result is still the same. The same file always
yields the same windows, winners and order, so a re-ingest repeats its messages (and idempotency keys) exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inventory_ingest.domain.rows import Row, updater_instant

DEFAULT_WINDOW_KEYS = 10_000
_NOTHING: tuple[Row, ...] = ()


class CoalescingWindow:
    """Holds the current winner of at most ``max_keys`` (product_id, location) keys.

    Feed it valid rows in file order with :meth:`add`, then take the rest with :meth:`drain`. Every row comes
    out exactly once or is counted in :attr:`superseded`.
    """

    def __init__(self, max_keys: int = DEFAULT_WINDOW_KEYS) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.max_keys = max_keys
        self.superseded = 0
        self._pending: dict[tuple[str, str], tuple[datetime, Row]] = {}

    def __len__(self) -> int:
        """The number of keys pending (never more than ``max_keys``)."""
        return len(self._pending)

    def add(self, row: Row) -> Sequence[Row]:
        """Take the next row of the file; return the rows to send now (usually none).

        Rows must come in increasing line order: a later line wins over an earlier one with the same instant.
        """
        instant = updater_instant(row.update_date)
        if instant is None:
            # parse_row rejects such rows; should one get here, the updater refuses it whatever we do: send it on.
            return (row,)
        key = (row.product_id, row.location)
        current = self._pending.get(key)
        if current is not None:
            self.superseded += 1
            if instant >= current[0]:  # equal instants: the later line wins, as its idempotency key sorts higher
                self._pending[key] = (instant, row)
            return _NOTHING
        if len(self._pending) < self.max_keys:
            self._pending[key] = (instant, row)
            return _NOTHING
        winners = self.drain()
        self._pending[key] = (instant, row)
        return winners

    def drain(self) -> list[Row]:
        """Empty the window: its winners, in file order."""
        winners = sorted((row for _, row in self._pending.values()), key=_line)
        self._pending = {}
        return winners


def _line(row: Row) -> int:
    return row.line
