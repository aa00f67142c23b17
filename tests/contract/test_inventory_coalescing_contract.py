"""The ingest function coalesces rows per (product_id, location) on the assumption that it knows which row the
updater would keep. Checked here against the updater's own model and last-writer-wins rule: for any file, the
levels stored from the coalesced messages equal the levels stored from every row, whatever the delivery order."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from inventory_ingest.domain.coalesce import updater_instant
from inventory_ingest.domain.ingest import CsvIngestor, idempotency_key
from inventory_ingest.models.inventory import InventoryUpdateMessage, SourceLine
from inventory_ingest.models.rejection import Rejection
from inventory_ingest.ports import ObjectRef, OpenedObject
from inventory_updater.domain.levels import apply_update, utc_timestamp
from inventory_updater.models.level import InventoryLevel
from inventory_updater.models.update import InventoryUpdate
from inventory_updater.ports import StoredLevel, WriteRejected

BUCKET, KEY = "uploads", "uploads/f.csv"
HEADER = "product_id,location,quantity,update_date"


@dataclass
class LevelsTable:
    """The updater's store, in memory, with the DynamoDB adapter's conditional-write rule."""

    items: dict[tuple[str, str], InventoryLevel] = field(default_factory=dict)

    def put_if_newer(self, level: InventoryLevel) -> None:
        current = self.items.get((level.product_id, level.location))
        if current is not None and current.sequence >= level.sequence:
            raise WriteRejected(StoredLevel(current.sequence, current.quantity))
        self.items[(level.product_id, level.location)] = level


def stored(bodies: Sequence[str]) -> dict[tuple[str, str], InventoryLevel]:
    table = LevelsTable()
    for body in bodies:
        apply_update(InventoryUpdate.model_validate_json(body), table)
    return table.items


@dataclass
class OneObject:
    data: bytes

    @property
    def etag(self) -> str:
        return f'"{hashlib.md5(self.data).hexdigest()}"'

    def open(self, ref: ObjectRef) -> OpenedObject:  # noqa: ARG002 - one object only
        return OpenedObject(version_id=None, etag=self.etag, chunks=iter([self.data]))


@dataclass
class Collector:
    max_batch: int = 10
    bodies: list[str] = field(default_factory=list)

    def publish(self, messages: Sequence[InventoryUpdateMessage]) -> None:
        self.bodies += [m.model_dump_json() for m in messages]

    def flush(self) -> None:
        pass


class NoRejects:
    def new_report(self) -> NoRejects:
        return self

    def add(self, rejection: Rejection) -> None:
        raise AssertionError(f"unexpected rejection {rejection}")

    def save(self, bucket: str, key: str) -> None:
        raise AssertionError("unexpected report")

    def remove(self, bucket: str, key: str) -> None:
        pass

    def close(self) -> None:
        pass


def every_row(source: OneObject, rows: Sequence[tuple[str, str, int, str]]) -> Iterator[str]:
    """What the ingest function sent before coalescing: one message per row."""
    version = source.etag.strip('"')
    for line, (product_id, location, quantity, update_date) in enumerate(rows, start=2):
        yield InventoryUpdateMessage(
            product_id=product_id,
            location=location,
            quantity=quantity,
            update_date=update_date,
            idempotency_key=idempotency_key(BUCKET, KEY, source.etag, line),
            source=SourceLine(bucket=BUCKET, key=KEY, version=version, line=line),
        ).model_dump_json()


@st.composite
def update_dates(draw: st.DrawFn) -> str:
    """An update_date as files write them: a bare date, or a date-time naive or with an offset, to the second or
    finer, with 'T' or a space. Few distinct instants, so ties across formats are common."""
    moment = datetime(2023, 5, 1, tzinfo=UTC) + timedelta(
        hours=draw(st.integers(0, 48)), microseconds=draw(st.sampled_from([0, 0, 500_000, 1]))
    )
    style = draw(st.sampled_from(["date", "naive", "z", "offset", "space"]))
    if style == "date":
        return moment.date().isoformat()
    if style in ("naive", "space"):
        return moment.replace(tzinfo=None).isoformat(sep="T" if style == "naive" else " ")
    if style == "z":
        return moment.replace(tzinfo=None).isoformat() + "Z"
    offset = timezone(timedelta(minutes=draw(st.sampled_from([-600, -90, 0, 60, 330]))))
    return moment.astimezone(offset).isoformat()


rows_strategy = st.lists(
    st.tuples(st.sampled_from(["P1", "P2", "P3"]), st.sampled_from(["A", "B"]), st.integers(0, 99), update_dates()),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(rows=rows_strategy, window_keys=st.integers(1, 8), reverse=st.booleans())
def test_coalesced_messages_store_exactly_what_every_row_would(
    rows: list[tuple[str, str, int, str]], window_keys: int, reverse: bool
) -> None:
    # GIVEN a file of rows over a few keys, with dates in mixed formats
    source = OneObject(("\n".join([HEADER, *(f"{p},{loc},{q},{d}" for p, loc, q, d in rows)]) + "\n").encode())
    publisher = Collector()
    ingestor = CsvIngestor(
        source=source, publisher=publisher, rejects=NoRejects(), rejects_prefix="rejects/", window_keys=window_keys
    )
    # WHEN it is ingested with coalescing, and the messages are delivered in order or reversed
    result = ingestor.ingest(ObjectRef(BUCKET, KEY))
    delivered = publisher.bodies[::-1] if reverse else publisher.bodies
    # THEN the updater stores exactly what it would have stored from one message per row, in file order
    assert stored(delivered) == stored(list(every_row(source, rows)))
    # AND every row is accounted for
    assert result.sent + result.superseded == len(rows) == len(publisher.bodies) + result.superseded


@settings(max_examples=200, deadline=None)
@given(update_date=update_dates())
def test_the_ingest_reads_dates_as_the_updater_does(update_date: str) -> None:
    update = InventoryUpdate(product_id="P", location="A", quantity=1, update_date=update_date)
    instant = updater_instant(update_date)
    assert instant is not None
    assert instant.isoformat(timespec="microseconds") + "Z" == utc_timestamp(update)
