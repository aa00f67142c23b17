"""The SQS and S3 adapters against stub clients: retry rules and streaming behaviour (moto tests are in integration)."""

from __future__ import annotations

from typing import Any

import pytest
from inventory_ingest.adapters.s3 import S3ObjectSource
from inventory_ingest.adapters.sqs import PublishError, SqsUpdatePublisher
from inventory_ingest.models.inventory import InventoryUpdateMessage, SourceLine
from inventory_ingest.ports import ObjectRef


def message(line: int) -> InventoryUpdateMessage:
    return InventoryUpdateMessage(
        product_id=f"P{line}", location="A", quantity=1, update_date="2023-05-01", idempotency_key=f"k:{line}",
        source=SourceLine(bucket="b", key="k", version="v", line=line + 1),
    )  # fmt: skip


class StubSqs:
    """Answers SendMessageBatch from a script of per-call failures: {entry id: (code, sender_fault)}."""

    def __init__(self, failures: list[dict[str, tuple[str, bool]]]) -> None:
        self.failures = failures
        self.calls: list[list[str]] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        ids = [e["Id"] for e in Entries]
        self.calls.append(ids)
        failing = self.failures.pop(0) if self.failures else {}
        return {
            "Successful": [{"Id": i, "MessageId": f"m-{i}", "MD5OfMessageBody": "x"} for i in ids if i not in failing],
            "Failed": [
                {"Id": i, "Code": code, "SenderFault": fault, "Message": "nope"}
                for i, (code, fault) in failing.items()
                if i in ids
            ],
        }


def publisher(stub: StubSqs, sleeps: list[float], attempts: int = 3) -> SqsUpdatePublisher:
    return SqsUpdatePublisher(stub, "https://queue", max_attempts=attempts, sleep=sleeps.append)  # type: ignore[arg-type]


def test_failed_entries_are_retried_alone_until_accepted() -> None:
    # GIVEN SQS fails two entries, then one of them again, then accepts
    stub = StubSqs([{"1": ("InternalError", False), "3": ("InternalError", False)}, {"3": ("InternalError", False)}])
    sleeps: list[float] = []
    # WHEN a batch of 5 is published
    publisher(stub, sleeps).publish([message(i) for i in range(5)])
    # THEN only the failed entries are re-sent, with growing backoff
    assert stub.calls == [["0", "1", "2", "3", "4"], ["1", "3"], ["3"]]
    assert sleeps == [0.1, 0.2]


def test_entries_still_failing_after_the_last_attempt_raise() -> None:
    stub = StubSqs([{"0": ("ServiceUnavailable", False)}] * 3)
    with pytest.raises(PublishError, match=r"1 message\(s\) still failing after 3 attempts: \['ServiceUnavailable'\]"):
        publisher(stub, []).publish([message(1), message(2)])
    assert len(stub.calls) == 3


def test_a_sender_fault_is_not_retried() -> None:
    stub = StubSqs([{"0": ("InvalidMessageContents", True)}])
    with pytest.raises(PublishError, match="rejected by SQS: InvalidMessageContents"):
        publisher(stub, []).publish([message(1)])
    assert len(stub.calls) == 1


def test_more_than_ten_messages_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at most 10"):
        publisher(StubSqs([]), []).publish([message(i) for i in range(11)])


class SpyBody:
    """A StreamingBody stand-in serving a virtual object of ``size`` bytes, recording every read."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.reads: list[int | None] = []
        self.closed = False

    def read(self, amt: int | None = None) -> bytes:
        self.reads.append(amt)
        if amt is None:
            raise AssertionError("read() without a size would load the whole object")
        n = min(amt, self.remaining)
        self.remaining -= n
        return b"x" * (n - 1) + b"\n" if n else b""

    def iter_chunks(self, chunk_size: int) -> Any:
        while chunk := self.read(chunk_size):
            yield chunk

    def close(self) -> None:
        self.closed = True


class StubS3:
    def __init__(self, body: SpyBody) -> None:
        self.body = body
        self.kwargs: dict[str, Any] = {}

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        self.kwargs = kwargs
        return {"Body": self.body, "ETag": '"abc"', "VersionId": "v7"}


def test_a_huge_object_is_read_in_bounded_chunks_on_demand() -> None:
    # GIVEN a 10 GiB object
    body = SpyBody(10 * 1024**3)
    source = S3ObjectSource(StubS3(body), chunk_bytes=64 * 1024)  # type: ignore[arg-type]
    # WHEN it is opened and three chunks are consumed
    opened = source.open(ObjectRef("b", "k"))
    for _ in range(3):
        next(opened.chunks)
    # THEN exactly three sized reads happened: nothing was read ahead or whole
    assert body.reads == [64 * 1024] * 3
    assert (opened.version_id, opened.etag) == ("v7", '"abc"')


def test_the_stream_is_closed_when_done() -> None:
    body = SpyBody(100)
    opened = S3ObjectSource(StubS3(body), chunk_bytes=64).open(ObjectRef("b", "k"))  # type: ignore[arg-type]
    assert b"".join(opened.chunks).count(b"\n") == 2
    assert body.closed


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (ObjectRef("b", "k", version_id="v1", etag="e1"), {"VersionId": "v1"}),
        (ObjectRef("b", "k", version_id="null", etag="e1"), {"IfMatch": "e1"}),
        (ObjectRef("b", "k", etag="e1"), {"IfMatch": "e1"}),
        (ObjectRef("b", "k"), {}),
    ],
)
def test_the_announced_version_is_the_one_read(ref: ObjectRef, expected: dict[str, str]) -> None:
    s3 = StubS3(SpyBody(0))
    S3ObjectSource(s3).open(ref)  # type: ignore[arg-type]
    assert s3.kwargs == {"Bucket": "b", "Key": "k", **expected}
