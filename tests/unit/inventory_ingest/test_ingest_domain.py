"""The ingest domain over in-memory fakes of its ports (fakes over mocks: they behave, they are not scripted)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from inventory_ingest.domain.ingest import CsvIngestor, Outcome, idempotency_key, rejects_key_for
from inventory_ingest.generate import generate_rows, is_bad
from inventory_ingest.models.inventory import InventoryUpdateMessage
from inventory_ingest.models.rejection import Rejection
from inventory_ingest.ports import ObjectGoneError, ObjectRef, OpenedObject

SAMPLE = Path(__file__).parents[3] / "services" / "inventory_ingest" / "samples" / "sample_file.csv"
HEADER = b"product_id,location,quantity,update_date\n"
BUCKET = "uploads-bucket"


@dataclass
class FakeObject:
    data: bytes | Iterator[bytes]
    version_id: str | None = None
    etag: str = '"etag-1"'


@dataclass
class FakeSource:
    objects: dict[tuple[str, str], FakeObject] = field(default_factory=dict)
    chunk_bytes: int = 7  # deliberately tiny: lines straddle chunk boundaries

    def put(self, bucket: str, key: str, data: bytes | Iterator[bytes], version_id: str | None = None) -> None:
        # Like S3 for single-part uploads: the ETag is the content's MD5.
        etag = f'"{hashlib.md5(data).hexdigest()}"' if isinstance(data, bytes) else '"streamed"'
        self.objects[(bucket, key)] = FakeObject(data, version_id, etag)

    def open(self, ref: ObjectRef) -> OpenedObject:
        obj = self.objects.get((ref.bucket, ref.key))
        if obj is None:
            raise ObjectGoneError(f"s3://{ref.bucket}/{ref.key}: NoSuchKey")
        chunks = obj.data if not isinstance(obj.data, bytes) else self._chunks(obj.data)
        return OpenedObject(version_id=obj.version_id, etag=obj.etag, chunks=chunks)

    def _chunks(self, data: bytes) -> Iterator[bytes]:
        for i in range(0, len(data), self.chunk_bytes):
            yield data[i : i + self.chunk_bytes]


@dataclass
class FakePublisher:
    max_batch: int = 10
    batches: list[list[InventoryUpdateMessage]] = field(default_factory=list)
    fail_with: Exception | None = None

    def publish(self, messages: Sequence[InventoryUpdateMessage]) -> None:
        assert 0 < len(messages) <= self.max_batch
        if self.fail_with:
            raise self.fail_with
        self.batches.append(list(messages))

    flushes: int = 0

    def flush(self) -> None:
        self.flushes += 1

    @property
    def messages(self) -> list[InventoryUpdateMessage]:
        return [m for b in self.batches for m in b]


@dataclass
class FakeReport:
    store: FakeRejectsStore
    rows: list[Rejection] = field(default_factory=list)
    closed: bool = False

    def add(self, rejection: Rejection) -> None:
        self.rows.append(rejection)

    def save(self, bucket: str, key: str) -> None:
        self.store.reports[(bucket, key)] = list(self.rows)

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeRejectsStore:
    reports: dict[tuple[str, str], list[Rejection]] = field(default_factory=dict)
    opened: list[FakeReport] = field(default_factory=list)

    def new_report(self) -> FakeReport:
        report = FakeReport(self)
        self.opened.append(report)
        return report

    def remove(self, bucket: str, key: str) -> None:
        self.reports.pop((bucket, key), None)


@pytest.fixture
def source() -> FakeSource:
    return FakeSource()


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def rejects() -> FakeRejectsStore:
    return FakeRejectsStore()


@pytest.fixture
def ingestor(source: FakeSource, publisher: FakePublisher, rejects: FakeRejectsStore) -> CsvIngestor:
    return CsvIngestor(source=source, publisher=publisher, rejects=rejects, rejects_prefix="rejects/")


def windowed(source: FakeSource, publisher: FakePublisher, rejects: FakeRejectsStore, keys: int) -> CsvIngestor:
    return CsvIngestor(source=source, publisher=publisher, rejects=rejects, rejects_prefix="rejects/", window_keys=keys)


def test_the_seed_sample_file_becomes_21_messages_in_batches_of_10(
    source: FakeSource, publisher: FakePublisher, rejects: FakeRejectsStore, ingestor: CsvIngestor
) -> None:
    # GIVEN the seed's sample file (UTF-8 with BOM) uploaded
    source.put(BUCKET, "uploads/sample_file.csv", SAMPLE.read_bytes())
    # WHEN it is ingested
    result = ingestor.ingest(ObjectRef(BUCKET, "uploads/sample_file.csv"))
    # THEN every row is sent, 10 per batch, in file order, and there is no rejects report
    assert result.outcome is Outcome.INGESTED
    assert (result.sent, result.rejected, result.blank) == (21, 0, 0)
    assert [len(b) for b in publisher.batches] == [10, 10, 1]
    first, last = publisher.messages[0], publisher.messages[-1]
    assert (first.product_id, first.location, first.quantity, first.update_date) == (
        "P001", "Warehouse A", 100, "2023-05-01",
    )  # fmt: skip
    assert (last.product_id, last.location, last.quantity, last.source.line) == ("P0021", "Warehouse C", 50, 22)
    assert rejects.reports == {}
    assert all(r.closed for r in rejects.opened)


def test_idempotency_keys_are_unique_per_line_and_stable_across_reingests(
    source: FakeSource, publisher: FakePublisher, ingestor: CsvIngestor
) -> None:
    # GIVEN the same object version ingested twice (an S3 redelivery or an async retry)
    source.put(BUCKET, "a.csv", SAMPLE.read_bytes(), version_id="v1")
    ingestor.ingest(ObjectRef(BUCKET, "a.csv"))
    first = [m.idempotency_key for m in publisher.messages]
    publisher.batches.clear()
    ingestor.ingest(ObjectRef(BUCKET, "a.csv"))
    # THEN both runs produce the same keys, one per line
    assert [m.idempotency_key for m in publisher.messages] == first
    assert len(set(first)) == 21
    assert first[0] == idempotency_key(BUCKET, "a.csv", hashlib.md5(SAMPLE.read_bytes()).hexdigest(), 2)


def test_new_content_under_the_same_key_gets_new_idempotency_keys(
    source: FakeSource, publisher: FakePublisher, ingestor: CsvIngestor
) -> None:
    source.put(BUCKET, "a.csv", HEADER + b"P1,A,1,2023-05-01\n", version_id="v1")
    ingestor.ingest(ObjectRef(BUCKET, "a.csv"))
    source.put(BUCKET, "a.csv", HEADER + b"P1,A,2,2023-05-01\n", version_id="v2")
    ingestor.ingest(ObjectRef(BUCKET, "a.csv"))
    keys = [m.idempotency_key for m in publisher.messages]
    assert keys[0] != keys[1]


def test_reuploading_identical_content_repeats_the_idempotency_keys(
    source: FakeSource, publisher: FakePublisher, ingestor: CsvIngestor
) -> None:
    # GIVEN the same file uploaded twice to a versioned bucket (two version ids, one content)
    source.put(BUCKET, "a.csv", HEADER + b"P1,A,1,2023-05-01\n", version_id="v1")
    ingestor.ingest(ObjectRef(BUCKET, "a.csv"))
    source.put(BUCKET, "a.csv", HEADER + b"P1,A,1,2023-05-01\n", version_id="v2")
    ingestor.ingest(ObjectRef(BUCKET, "a.csv"))
    # THEN the messages are duplicates for the updater, though each names the version it came from
    first, second = publisher.messages
    assert first.idempotency_key == second.idempotency_key
    assert (first.source.version, second.source.version) == ("v1", "v2")


def test_without_a_version_id_the_etag_identifies_the_content(
    source: FakeSource, publisher: FakePublisher, ingestor: CsvIngestor
) -> None:
    data = HEADER + b"P1,A,1,2023-05-01\n"
    etag = hashlib.md5(data).hexdigest()
    source.put(BUCKET, "a.csv", data, version_id="null")
    result = ingestor.ingest(ObjectRef(BUCKET, "a.csv"))
    assert result.version == etag
    assert publisher.messages[0].idempotency_key == idempotency_key(BUCKET, "a.csv", etag, 2)


def test_invalid_rows_go_to_a_rejects_report_and_never_to_the_queue(
    source: FakeSource, publisher: FakePublisher, rejects: FakeRejectsStore, ingestor: CsvIngestor
) -> None:
    # GIVEN a file mixing good, bad and blank lines
    data = HEADER + b"P1,A,1,2023-05-01\nP2,A,ten,2023-05-01\n\nP3,B\nP4,B,-1,2023-05-01\nP5,C,5,2023-05-05\n"
    source.put(BUCKET, "uploads/mixed.csv", data)
    # WHEN it is ingested
    result = ingestor.ingest(ObjectRef(BUCKET, "uploads/mixed.csv"))
    # THEN only the good rows are sent, and the report lists each bad line with its number and reason
    assert [m.product_id for m in publisher.messages] == ["P1", "P5"]
    assert (result.sent, result.superseded, result.rejected, result.blank) == (2, 0, 3, 1)
    assert result.rejects_key == "rejects/uploads/mixed.csv.rejects.csv"
    assert rejects.reports[(BUCKET, "rejects/uploads/mixed.csv.rejects.csv")] == [
        Rejection(3, "quantity 'ten' is not a whole number", "P2,A,ten,2023-05-01"),
        Rejection(5, "expected 4 columns, got 2", "P3,B"),
        Rejection(6, "quantity -1 is negative", "P4,B,-1,2023-05-01"),
    ]


def test_a_clean_reupload_removes_the_stale_rejects_report(
    source: FakeSource, rejects: FakeRejectsStore, ingestor: CsvIngestor
) -> None:
    # GIVEN an upload with a bad row, then a corrected upload under the same key
    source.put(BUCKET, "f.csv", HEADER + b"P1,A,x,2023-05-01\n")
    ingestor.ingest(ObjectRef(BUCKET, "f.csv"))
    assert (BUCKET, "rejects/f.csv.rejects.csv") in rejects.reports
    source.put(BUCKET, "f.csv", HEADER + b"P1,A,1,2023-05-01\n")
    # WHEN the corrected file is ingested
    ingestor.ingest(ObjectRef(BUCKET, "f.csv"))
    # THEN no report is left
    assert rejects.reports == {}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file: no header line"),
        (b"sku,where,qty,date\nP1,A,1,2023-05-01\n", "header must name the columns"),
    ],
)
def test_a_file_without_the_expected_header_is_rejected_whole(
    source: FakeSource,
    publisher: FakePublisher,
    rejects: FakeRejectsStore,
    ingestor: CsvIngestor,
    data: bytes,
    reason: str,
) -> None:
    source.put(BUCKET, "bad.csv", data)
    result = ingestor.ingest(ObjectRef(BUCKET, "bad.csv"))
    assert result.outcome is Outcome.FILE_REJECTED
    assert publisher.batches == []
    [rejection] = rejects.reports[(BUCKET, "rejects/bad.csv.rejects.csv")]
    assert rejection.line == 1
    assert rejection.reason.startswith(reason)


def test_objects_under_the_rejects_prefix_are_never_ingested(
    source: FakeSource, publisher: FakePublisher, ingestor: CsvIngestor
) -> None:
    # GIVEN a rejects report (which itself looks like a CSV upload)
    key = rejects_key_for("rejects/", "uploads/x.csv")
    source.put(BUCKET, key, b"line,reason,content\n2,bad,x\n")
    # WHEN its ObjectCreated notification arrives
    result = ingestor.ingest(ObjectRef(BUCKET, key))
    # THEN it is skipped without being read
    assert result.outcome is Outcome.SKIPPED
    assert publisher.batches == []


def test_an_object_gone_before_it_is_read_is_reported_not_raised(ingestor: CsvIngestor) -> None:
    result = ingestor.ingest(ObjectRef(BUCKET, "deleted.csv"))
    assert result.outcome is Outcome.GONE
    assert result.reason is not None and "NoSuchKey" in result.reason


def test_a_publish_failure_propagates_and_no_report_is_saved(
    source: FakeSource, publisher: FakePublisher, rejects: FakeRejectsStore, ingestor: CsvIngestor
) -> None:
    # GIVEN a queue that refuses messages
    publisher.fail_with = RuntimeError("queue down")
    source.put(BUCKET, "f.csv", HEADER + b"P1,A,1,2023-05-01\nP2,A,x,2023-05-01\n")
    # WHEN the file is ingested THEN the error reaches the caller (so the invocation fails and is retried)
    with pytest.raises(RuntimeError, match="queue down"):
        ingestor.ingest(ObjectRef(BUCKET, "f.csv"))
    assert rejects.reports == {}
    assert all(r.closed for r in rejects.opened)


def test_a_large_file_is_streamed_not_read_whole(
    source: FakeSource, publisher: FakePublisher, rejects: FakeRejectsStore
) -> None:
    # GIVEN a 1,000,000-row upload, produced chunk by chunk and never materialised, and a window of 100 keys
    pulled = 0
    at_first_publish: int | None = None

    def upload() -> Iterator[bytes]:
        nonlocal pulled
        lines = generate_rows(1_000_000)
        while chunk := "".join(line + "\n" for _, line in zip(range(100), lines, strict=False)).encode():
            pulled += len(chunk)
            yield chunk

    class RecordingPublisher(FakePublisher):
        def publish(self, messages: Sequence[InventoryUpdateMessage]) -> None:
            nonlocal at_first_publish
            if at_first_publish is None:
                at_first_publish = pulled
            raise StopIngestError  # enough has been seen

    class StopIngestError(Exception):
        pass

    source.put(BUCKET, "big.csv", upload())
    ingestor = windowed(source, RecordingPublisher(), rejects, keys=100)
    # WHEN ingesting starts
    with pytest.raises(StopIngestError):
        ingestor.ingest(ObjectRef(BUCKET, "big.csv"))
    # THEN the first batch went out once the window was full, after a few chunks of the ~35 MB file had been read
    assert at_first_publish is not None and 0 < at_first_publish < 20_000


def test_rows_held_are_bounded_by_the_window_not_the_file(rejects: FakeRejectsStore) -> None:
    # GIVEN a 200,000-row upload in which every (product_id, location) is new, produced lazily, 100 lines a chunk
    read = 0
    held_most = 0

    def upload() -> Iterator[bytes]:
        nonlocal read
        yield HEADER
        for start in range(0, 200_000, 100):
            read += 100
            yield b"".join(b"P%d,A,1,2023-05-01\n" % i for i in range(start, start + 100))

    class CountingPublisher(FakePublisher):
        published = 0

        def publish(self, messages: Sequence[InventoryUpdateMessage]) -> None:
            nonlocal held_most
            self.published += len(messages)
            held_most = max(held_most, read - self.published)

    source = FakeSource()
    source.put(BUCKET, "distinct.csv", upload())
    publisher = CountingPublisher()
    # WHEN it is ingested with a window of 500 keys
    result = windowed(source, publisher, rejects, keys=500).ingest(ObjectRef(BUCKET, "distinct.csv"))
    # THEN every row was sent, and no more rows than the window, a batch and a chunk were ever held unsent
    assert (result.sent, result.superseded, publisher.published) == (200_000, 0, 200_000)
    assert 0 < held_most <= 500 + 10 + 100


def test_a_generated_file_is_split_exactly_into_good_and_bad_rows(
    source: FakeSource, publisher: FakePublisher, rejects: FakeRejectsStore, ingestor: CsvIngestor
) -> None:
    # GIVEN a generated file of 5,000 rows, 3% of them bad
    data = "\r\n".join(generate_rows(5_000, bad_share=0.03, seed=11)).encode("utf-8-sig")
    source.put(BUCKET, "gen.csv", data)
    # WHEN it is ingested
    result = ingestor.ingest(ObjectRef(BUCKET, "gen.csv"))
    # THEN exactly the bad rows are rejected, and of the good rows exactly the newest per key is sent
    winners = newest_per_key(generate_rows(5_000, bad_share=0.03, seed=11), bad_share=0.03)
    assert (result.sent, result.superseded, result.rejected) == (len(winners), 4_850 - len(winners), 150)
    assert sorted(m.source.line for m in publisher.messages) == sorted(winners.values())
    assert len(rejects.reports[(BUCKET, "rejects/gen.csv.rejects.csv")]) == 150


def newest_per_key(lines: Iterator[str], bad_share: float) -> dict[tuple[str, str], int]:
    """The line the updater keeps per key: the greatest (date, line). Generated dates are bare, so text sorts."""
    next(lines)  # header
    best: dict[tuple[str, str], tuple[str, int]] = {}
    for index, text in enumerate(lines):
        if not is_bad(index, bad_share):
            product_id, location, _, day = text.split(",")
            best[(product_id, location)] = max(best.get((product_id, location), ("", 0)), (day, index + 2))
    return {key: line for key, (_, line) in best.items()}


def test_rows_superseded_in_the_same_file_are_counted_not_sent(
    source: FakeSource, publisher: FakePublisher, ingestor: CsvIngestor
) -> None:
    # GIVEN a file updating P1/A three times (an older date last) and P2/A once
    data = HEADER + b"P1,A,1,2023-05-01\nP2,A,5,2023-05-01\nP1,A,2,2023-05-02\nP1,A,3,2023-05-01T23:00:00Z\n"
    source.put(BUCKET, "f.csv", data)
    # WHEN it is ingested
    result = ingestor.ingest(ObjectRef(BUCKET, "f.csv"))
    # THEN one message per key goes out, the newest of each, with the idempotency key of its own line
    assert [(m.product_id, m.quantity, m.source.line) for m in publisher.messages] == [("P2", 5, 3), ("P1", 2, 4)]
    assert publisher.messages[1].idempotency_key == idempotency_key(BUCKET, "f.csv", hashlib.md5(data).hexdigest(), 4)
    assert (result.sent, result.superseded, result.rejected, result.blank) == (2, 2, 0, 0)


def test_a_reingest_repeats_the_same_messages_when_rows_are_coalesced(
    source: FakeSource, publisher: FakePublisher, rejects: FakeRejectsStore
) -> None:
    # GIVEN a generated file with repeated keys, ingested twice through windows of 50 keys (an async retry)
    source.put(BUCKET, "gen.csv", "\n".join(generate_rows(2_000, bad_share=0.01, seed=5)).encode())
    ingestor = windowed(source, publisher, rejects, keys=50)
    first_result = ingestor.ingest(ObjectRef(BUCKET, "gen.csv"))
    first = list(publisher.messages)
    publisher.batches.clear()
    second_result = ingestor.ingest(ObjectRef(BUCKET, "gen.csv"))
    # THEN both runs send the same messages, in the same order, with the same idempotency keys
    assert publisher.messages == first
    assert first_result == second_result
    assert first_result.superseded > 0


def test_messages_are_valid_against_their_own_model(
    source: FakeSource, publisher: FakePublisher, ingestor: CsvIngestor
) -> None:
    # The ingestor builds messages without re-validating them; the wire form must still pass validation.
    source.put(BUCKET, "uploads/sample_file.csv", SAMPLE.read_bytes())
    ingestor.ingest(ObjectRef(BUCKET, "uploads/sample_file.csv"))
    for message in publisher.messages:
        assert InventoryUpdateMessage.model_validate_json(message.model_dump_json()) == message


def test_a_stream_failure_settles_the_publisher_before_propagating(
    source: FakeSource, publisher: FakePublisher
) -> None:
    # GIVEN an upload whose stream breaks after the first chunk (e.g. a connection reset)
    def broken() -> Iterator[bytes]:
        yield HEADER + b"".join(b"P%d,A,1,2023-05-01\n" % i for i in range(25))
        raise ConnectionResetError("stream reset")

    source.put(BUCKET, "f.csv", broken())
    # WHEN it is ingested through a window of 10 keys (so two windows are handed over before the break)
    # THEN the error propagates, after batches already handed over were waited for
    with pytest.raises(ConnectionResetError):
        windowed(source, publisher, FakeRejectsStore(), keys=10).ingest(ObjectRef(BUCKET, "f.csv"))
    assert publisher.flushes == 1
    assert len(publisher.messages) == 20
