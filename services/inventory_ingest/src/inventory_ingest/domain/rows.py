"""Validate one CSV line of an inventory file: the header, then ``product_id,location,quantity,update_date`` rows."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache

from pydantic import TypeAdapter

from inventory_ingest.domain.lines import RawLine
from inventory_ingest.models.rejection import Rejection

COLUMNS: tuple[str, ...] = ("product_id", "location", "quantity", "update_date")
MAX_TEXT_CHARS = 256  # product_id and location are DynamoDB keys; keep them far below the key size limits
MAX_QUANTITY_DIGITS = 15
_DIGITS = re.compile(r"[0-9]+")  # not \d: that also matches non-ASCII digits
_NEGATIVE = re.compile(r"-[0-9]+")


@dataclass(frozen=True, slots=True)
class Row:
    """A valid row, fields trimmed."""

    line: int
    product_id: str
    location: str
    quantity: int
    update_date: str


class HeaderError(ValueError):
    """The first line is not a header naming exactly the four expected columns."""


def parse_update_date(value: str) -> datetime | date:
    """Parse an ISO-8601 date (``2023-05-01``) or date-time (``2023-05-01T10:00:00Z``); raise ``ValueError``."""
    if len(value) == 10:
        return date.fromisoformat(value)
    if len(value) < 16 or value[10] not in "Tt ":
        raise ValueError(value)
    return datetime.fromisoformat(value)


@lru_cache(maxsize=1)
def _datetime_adapter() -> TypeAdapter[datetime]:
    return TypeAdapter(datetime)


@lru_cache(maxsize=4096)  # files repeat their dates; parsing is most of the per-row cost of coalescing
def updater_instant(update_date: str) -> datetime | None:
    """The instant the updater orders ``update_date`` by (naive, UTC), or None when the updater cannot read it.

    Mirrors the updater's ``InventoryUpdate`` model, parser included (pydantic's, which accepts a few forms fewer
    than ``datetime.fromisoformat``): a bare date is midnight UTC, a naive date-time is UTC, an aware one is
    converted. Naive UTC datetimes compare exactly as the updater's fixed-width timestamp strings do.
    """
    try:
        if len(update_date) == 10:
            parsed = datetime.combine(date.fromisoformat(update_date), time(), tzinfo=UTC)
        else:
            parsed = _datetime_adapter().validate_python(update_date)
        utc = parsed if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # pydantic's ValidationError is a ValueError
        return None
    return utc.replace(tzinfo=None)


def _split(line: RawLine) -> tuple[list[str] | None, str, str | None]:
    """Decode and split a line: (fields or None, decoded text, reason when it cannot be split)."""
    try:
        text = line.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, line.data.decode("utf-8", errors="replace"), f"not valid UTF-8 (byte {exc.start})"
    if line.too_long:
        return None, text, "line too long"
    if '"' not in text:  # the common case; the csv module is only needed for quoting
        return [f.strip() for f in text.split(",")], text, None
    try:
        fields = next(csv.reader([text], strict=True), [])
    except csv.Error as exc:
        return None, text, f"malformed CSV ({exc})"
    return [f.strip() for f in fields], text, None


def column_order(header: RawLine) -> tuple[int, ...]:
    """Map the header to the positions of :data:`COLUMNS` (any order, any case); raise :class:`HeaderError`."""
    fields, text, reason = _split(header)
    if fields is None:
        raise HeaderError(f"header line unreadable: {reason}")
    names = [f.lower() for f in fields]
    if sorted(names) != sorted(COLUMNS):
        raise HeaderError(f"header must name the columns {','.join(COLUMNS)}; got {text.strip()!r}")
    return tuple(names.index(c) for c in COLUMNS)


def parse_row(line: RawLine, order: Sequence[int]) -> Row | Rejection | None:
    """Validate one data line. Returns ``None`` for a blank line, which is not data."""
    if not line.too_long and not line.data.strip():
        return None
    fields, text, reason = _split(line)
    if fields is None:
        return Rejection(line.number, reason or "unreadable", text)
    if len(fields) != len(COLUMNS):
        return Rejection(line.number, f"expected {len(COLUMNS)} columns, got {len(fields)}", text)
    product_id, location, quantity, update_date = (fields[i] for i in order)
    problem = (
        _text_problem("product_id", product_id)
        or _text_problem("location", location)
        or _quantity_problem(quantity)
        or _date_problem(update_date)
    )
    if problem:
        return Rejection(line.number, problem, text)
    return Row(line.number, product_id, location, int(quantity), update_date)


def _text_problem(name: str, value: str) -> str | None:
    if not value:
        return f"{name} is empty"
    if len(value) > MAX_TEXT_CHARS:
        return f"{name} is longer than {MAX_TEXT_CHARS} characters"
    return None


def _quantity_problem(value: str) -> str | None:
    if _NEGATIVE.fullmatch(value):
        return f"quantity {value} is negative"
    if not _DIGITS.fullmatch(value):
        return f"quantity {value!r} is not a whole number"
    if len(value.lstrip("0")) > MAX_QUANTITY_DIGITS:
        return f"quantity {value} has more than {MAX_QUANTITY_DIGITS} digits"
    return None


def _date_problem(value: str) -> str | None:
    try:
        parse_update_date(value)
    except ValueError:
        return f"update_date {value!r} is not an ISO-8601 date (YYYY-MM-DD) or date-time"
    if updater_instant(value) is None:
        # e.g. "+05" without minutes or a week date: Python reads them, the updater's parser does not, and a row
        # the updater refuses would end in its DLQ instead of this report.
        return (
            f"update_date {value!r} is not in a form the updater reads "
            "(YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS] with Z or +HH:MM)"
        )
    return None
