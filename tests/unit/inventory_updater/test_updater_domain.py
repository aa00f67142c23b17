"""Last-writer-wins over an in-memory store with the same conditional-write rule as the DynamoDB adapter."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

import pytest
from inventory_updater.domain.levels import Outcome, apply_update, sequence_of
from inventory_updater.models.level import InventoryLevel
from inventory_updater.models.update import InventoryUpdate
from inventory_updater.ports import StoredLevel, WriteRejected
from pydantic import ValidationError


@dataclass
class FakeStore:
    items: dict[tuple[str, str], InventoryLevel] = field(default_factory=dict)

    def put_if_newer(self, level: InventoryLevel) -> None:
        current = self.items.get((level.product_id, level.location))
        if current is not None and current.sequence >= level.sequence:
            raise WriteRejected(StoredLevel(current.sequence, current.quantity))
        self.items[(level.product_id, level.location)] = level

    def quantity(self, product_id: str, location: str) -> int:
        return self.items[(product_id, location)].quantity


def update(
    quantity: int, day: str, key: str | None = "k", product_id: str = "P1", location: str = "A"
) -> InventoryUpdate:
    return InventoryUpdate.model_validate(
        {
            "product_id": product_id,
            "location": location,
            "quantity": quantity,
            "update_date": day,
            "idempotency_key": key,
        }
    )


def test_the_first_update_for_a_product_and_location_is_applied() -> None:
    store = FakeStore()
    assert apply_update(update(5, "2023-05-01"), store).outcome is Outcome.APPLIED
    assert store.quantity("P1", "A") == 5


def test_a_newer_update_replaces_the_level() -> None:
    store = FakeStore()
    apply_update(update(5, "2023-05-01", key="a"), store)
    assert apply_update(update(9, "2023-05-02", key="b"), store).outcome is Outcome.APPLIED
    assert store.quantity("P1", "A") == 9


def test_a_redelivered_update_changes_nothing() -> None:
    # GIVEN an applied update
    store = FakeStore()
    apply_update(update(5, "2023-05-01"), store)
    before = dict(store.items)
    # WHEN the same message arrives again
    outcome = apply_update(update(5, "2023-05-01"), store).outcome
    # THEN it is a duplicate and the store is unchanged
    assert outcome is Outcome.DUPLICATE
    assert store.items == before


def test_an_older_update_arriving_late_changes_nothing() -> None:
    store = FakeStore()
    apply_update(update(9, "2023-05-02", key="b"), store)
    assert apply_update(update(5, "2023-05-01", key="a"), store).outcome is Outcome.STALE
    assert store.quantity("P1", "A") == 9


def test_levels_are_kept_per_product_and_location() -> None:
    store = FakeStore()
    apply_update(update(1, "2023-05-01", product_id="P1", location="A"), store)
    apply_update(update(2, "2023-05-01", product_id="P1", location="B"), store)
    apply_update(update(3, "2023-05-01", product_id="P2", location="A"), store)
    assert [store.quantity(*k) for k in (("P1", "A"), ("P1", "B"), ("P2", "A"))] == [1, 2, 3]


def test_any_delivery_order_with_any_duplicates_converges_on_the_same_level() -> None:
    # GIVEN updates with distinct and equal dates (equal dates are ordered by key: later line of a file wins)
    updates = [
        update(1, "2023-05-01", key="f:0000000002"),
        update(2, "2023-05-03", key="f:0000000003"),
        update(3, "2023-05-03", key="f:0000000009"),
        update(4, "2023-05-02T23:59:59+00:00", key="g:0000000002"),
    ]
    # WHEN they are delivered in every order, each twice
    finals = set()
    for order in itertools.permutations(updates):
        store = FakeStore()
        for u in order + order:
            apply_update(u, store)
        finals.add(store.quantity("P1", "A"))
    # THEN every order ends with the same level: the latest date, and among equals the later line
    assert finals == {3}


def test_dates_compare_in_utc_whatever_their_offset() -> None:
    early = update(1, "2023-05-02T01:00:00+02:00", key="a")  # 2023-05-01T23:00Z
    late = update(2, "2023-05-01T23:30:00Z", key="a")
    assert sequence_of(early) < sequence_of(late)


def test_a_bare_date_is_midnight_utc_and_sequences_sort_by_time_across_centuries() -> None:
    assert sequence_of(update(1, "2023-05-01")).startswith("2023-05-01T00:00:00.000000Z|")
    assert sequence_of(update(1, "0999-01-01", key="z")) < sequence_of(update(1, "2023-01-01", key="a"))


def test_without_an_idempotency_key_identical_content_is_still_a_duplicate() -> None:
    store = FakeStore()
    apply_update(update(5, "2023-05-01", key=None), store)
    assert apply_update(update(5, "2023-05-01", key=None), store).outcome is Outcome.DUPLICATE


def test_a_seed_shaped_message_is_accepted() -> None:
    # The seed sent json.dumps(csv row): every value a string, no idempotency key.
    body = {"product_id": "P001", "location": "Warehouse A", "quantity": "100", "update_date": "2023-05-01"}
    parsed = InventoryUpdate.model_validate(body)
    assert (parsed.quantity, parsed.update_date.isoformat()) == (100, "2023-05-01T00:00:00+00:00")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("not json", "json_invalid"),
        ("[1, 2]", "model_type"),
        (json.dumps({"location": "A", "quantity": 1, "update_date": "2023-05-01"}), "product_id"),
        (json.dumps({"product_id": "P1", "location": "A", "quantity": -1, "update_date": "2023-05-01"}), "quantity"),
        (json.dumps({"product_id": "P1", "location": "A", "quantity": "x", "update_date": "2023-05-01"}), "quantity"),
        (json.dumps({"product_id": "P1", "location": "A", "quantity": 1, "update_date": "2023-13-01"}), "update_date"),
        (json.dumps({"product_id": "", "location": "A", "quantity": 1, "update_date": "2023-05-01"}), "product_id"),
    ],
)
def test_poison_messages_fail_validation_naming_the_problem(body: str, problem: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        InventoryUpdate.model_validate_json(body)
    assert problem in {str(loc) for e in excinfo.value.errors() for loc in e["loc"]} | {
        e["type"] for e in excinfo.value.errors()
    }


def upload(
    quantity: int, sequencer: str, etag: str, day: str = "2023-05-01", key: str = "uploads/f.csv"
) -> InventoryUpdate:
    """Line 2 of an upload of ``key``: the ingest function's idempotency key and source, with S3's sequencer."""
    return InventoryUpdate.model_validate(
        {
            "product_id": "P1",
            "location": "A",
            "quantity": quantity,
            "update_date": day,
            "idempotency_key": f"{etag}:0000000002",
            "source": {"bucket": "b", "key": key, "version": etag, "line": 2, "sequencer": sequencer},
        }
    )


def test_successive_corrections_of_one_key_with_the_same_date_end_with_the_last_upload() -> None:
    # GIVEN 8 uploads of one S3 key, same date, quantities 1..8; content digests in no particular order, and
    # sequencers of growing length (S3's are hex strings compared after left-padding with zeros)
    sequencers = ["9", "0A", "0F", "1E", "00FF", "100", "0ABC", "FFFF1"]
    etags = ["f3", "a1", "e9", "07", "c2", "5b", "d4", "08"]
    uploads = [upload(q, s, e) for q, s, e in zip(range(1, 9), sequencers, etags, strict=True)]
    # WHEN they arrive in order, in reverse, or shuffled, each twice
    finals = set()
    for order in (uploads, uploads[::-1], [uploads[i] for i in (3, 7, 0, 5, 1, 6, 2, 4)]):
        store = FakeStore()
        for u in order + order:
            apply_update(u, store)
        finals.add(store.quantity("P1", "A"))
    # THEN the last upload is stored, whatever the order or the content digests
    assert finals == {8}


def test_a_replayed_older_upload_is_stale_and_names_the_level_it_lost_to() -> None:
    # GIVEN the newer upload stored
    store = FakeStore()
    apply_update(upload(7, "0055AED6DCD90281E6", "bb"), store)
    # WHEN the older upload's event is replayed
    result = apply_update(upload(3, "0055AED6DCD90281E5", "ff"), store)
    # THEN it changes nothing and says what won
    assert result.outcome is Outcome.STALE
    assert result.stored is not None and result.stored.quantity == 7
    assert result.stored.sequence > result.level.sequence
    assert store.quantity("P1", "A") == 7


def test_a_later_date_still_beats_a_later_upload() -> None:
    store = FakeStore()
    apply_update(upload(1, "0A", "aa", day="2023-05-02"), store)
    assert apply_update(upload(2, "0B", "bb", day="2023-05-01"), store).outcome is Outcome.STALE
    assert store.quantity("P1", "A") == 1


def test_a_sequencer_must_be_hex() -> None:
    with pytest.raises(ValidationError):
        upload(1, "not-hex", "aa")
