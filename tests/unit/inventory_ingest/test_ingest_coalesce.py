"""Coalescing rows per (product_id, location) in a bounded window: the winner is the row the updater would keep."""

from __future__ import annotations

from datetime import datetime

import pytest
from inventory_ingest.domain.coalesce import CoalescingWindow, updater_instant
from inventory_ingest.domain.rows import Row


def row(line: int, quantity: int, day: str, product_id: str = "P1", location: str = "A") -> Row:
    return Row(line, product_id, location, quantity, day)


def run(window: CoalescingWindow, rows: list[Row]) -> list[Row]:
    """Everything the window hands out for ``rows``, in order, including the final drain."""
    out: list[Row] = []
    for r in rows:
        out += window.add(r)
    return out + window.drain()


def test_on_equal_dates_the_later_line_wins() -> None:
    # GIVEN two rows for one key with the same date
    window = CoalescingWindow()
    # WHEN both pass through
    out = run(window, [row(2, 5, "2023-05-01"), row(3, 7, "2023-05-01")])
    # THEN only the later line is sent (its idempotency key sorts higher), and the other is counted
    assert out == [row(3, 7, "2023-05-01")]
    assert window.superseded == 1


def test_a_newer_date_wins_over_a_later_line() -> None:
    window = CoalescingWindow()
    out = run(window, [row(2, 5, "2023-05-03"), row(3, 7, "2023-05-01"), row(4, 9, "2023-05-02")])
    assert out == [row(2, 5, "2023-05-03")]
    assert window.superseded == 2


@pytest.mark.parametrize(
    ("earlier", "later", "winner"),
    [
        # a bare date is midnight UTC, so it ties with an explicit midnight UTC and the later line wins
        ("2023-05-01", "2023-05-01T00:00:00Z", "later"),
        ("2023-05-01T00:00:00+00:00", "2023-05-01", "later"),
        # a naive date-time is UTC
        ("2023-05-01T10:00:00", "2023-05-01T10:00:00Z", "later"),
        # aware date-times are compared in UTC, not by their wall-clock text
        ("2023-05-01T10:00:00+02:00", "2023-05-01T09:00:00Z", "later"),  # 08:00Z < 09:00Z, though "10" > "09"
        ("2023-05-01T09:30:00-01:00", "2023-05-01T10:00:00Z", "earlier"),  # 10:30Z beats 10:00Z
        ("2023-05-02T01:00:00+05:00", "2023-05-01T21:00:00", "later"),  # 2023-05-01T20:00Z < 21:00Z
        ("2023-05-01 10:00", "2023-05-01T10:00:00.000001Z", "later"),  # microseconds count
        ("2023-05-01T10:00:00.5Z", "2023-05-01T10:00:00Z", "earlier"),
    ],
)
def test_mixed_date_formats_are_compared_as_the_updater_normalises_them(earlier: str, later: str, winner: str) -> None:
    # GIVEN two rows for one key whose dates are written differently
    first, second = row(2, 1, earlier), row(3, 2, later)
    # WHEN they are coalesced
    [kept] = run(CoalescingWindow(), [first, second])
    # THEN the row with the later UTC instant wins; on a tie, the later line
    assert kept == (first if winner == "earlier" else second)


def test_updater_instant_is_naive_utc() -> None:
    assert updater_instant("2023-05-01") == datetime(2023, 5, 1)
    assert updater_instant("2023-05-01T10:00:00+02:00") == datetime(2023, 5, 1, 8)
    assert updater_instant("2023-05-01T10:00:00") == datetime(2023, 5, 1, 10)


def test_a_date_the_updater_cannot_read_is_passed_through_and_never_wins() -> None:
    # GIVEN a row whose date the ingest accepts but the updater's parser does not ("+05" without minutes)
    assert updater_instant("2023-05-01T10:00:00+05") is None
    window = CoalescingWindow()
    odd = row(3, 9, "2023-05-01T10:00:00+05")
    # WHEN it comes between two ordinary rows for the same key
    first = list(window.add(row(2, 1, "2023-05-01")))
    passed = list(window.add(odd))
    rest = list(window.add(row(4, 2, "2023-04-01"))) + window.drain()
    # THEN it is sent at once, as before coalescing (the updater parks it in its DLQ), and the others coalesce
    assert (first, passed, rest) == ([], [odd], [row(2, 1, "2023-05-01")])
    assert window.superseded == 1


def test_different_keys_are_kept_apart_and_come_out_in_file_order() -> None:
    window = CoalescingWindow()
    rows = [
        row(2, 1, "2023-05-01", "P2", "A"),
        row(3, 2, "2023-05-01", "P1", "A"),
        row(4, 3, "2023-05-01", "P1", "B"),
        row(5, 4, "2023-05-01", "P2", "A"),  # supersedes line 2
    ]
    assert [r.line for r in run(window, rows)] == [3, 4, 5]
    assert window.superseded == 1


def test_a_full_window_is_flushed_when_a_new_key_arrives() -> None:
    # GIVEN a window of 3 keys holding 3 keys (one of them seen twice)
    window = CoalescingWindow(max_keys=3)
    held = [row(2, 1, "2023-05-01", "P1"), row(3, 1, "2023-05-01", "P2"), row(4, 1, "2023-05-01", "P3")]
    assert [list(window.add(r)) for r in held] == [[], [], []]
    assert list(window.add(row(5, 2, "2023-05-01", "P2"))) == []  # a known key: no flush
    assert len(window) == 3
    # WHEN a fourth key arrives
    flushed = list(window.add(row(6, 1, "2023-05-01", "P4")))
    # THEN the three winners go out and the new key starts the next window
    assert [(r.product_id, r.line) for r in flushed] == [("P1", 2), ("P3", 4), ("P2", 5)]
    assert len(window) == 1
    assert [(r.product_id, r.line) for r in window.drain()] == [("P4", 6)]
    assert window.superseded == 1


def test_a_key_in_two_windows_is_sent_once_per_window() -> None:
    # Across windows the updater's conditional write picks the newer one, so both are sent (and none counted).
    window = CoalescingWindow(max_keys=1)
    out = run(window, [row(2, 1, "2023-05-02", "P1"), row(3, 1, "2023-05-01", "P2"), row(4, 2, "2023-05-01", "P1")])
    assert [r.line for r in out] == [2, 3, 4]
    assert window.superseded == 0


def test_memory_is_bounded_by_the_window_not_the_file() -> None:
    # GIVEN 20,000 rows with all-distinct keys through a window of 100 keys
    window = CoalescingWindow(max_keys=100)
    sent = 0
    largest = 0
    # WHEN they pass through one by one
    for line in range(2, 20_002):
        sent += len(window.add(row(line, 1, "2023-05-01", f"P{line}")))
        largest = max(largest, len(window))
    sent += len(window.drain())
    # THEN never more than 100 keys were held, and every row was sent
    assert largest == 100
    assert (sent, window.superseded) == (20_000, 0)


def test_every_row_is_either_sent_or_counted_as_superseded() -> None:
    # GIVEN 1,000 rows over 7 keys with dates that go back and forth, through a window of 3 keys
    window = CoalescingWindow(max_keys=3)
    rows = [row(i + 2, i, f"2023-05-{1 + (i * 7) % 28:02d}", f"P{i % 7}") for i in range(1_000)]
    # WHEN coalesced
    out = run(window, rows)
    # THEN the counts add up, and no row is sent twice
    assert len(out) + window.superseded == 1_000
    assert len({r.line for r in out}) == len(out)


def test_the_same_rows_give_the_same_output() -> None:
    rows = [row(i + 2, i, f"2023-05-{1 + (i * 5) % 28:02d}", f"P{i % 13}") for i in range(500)]
    assert run(CoalescingWindow(max_keys=4), rows) == run(CoalescingWindow(max_keys=4), rows)


def test_a_window_needs_room_for_one_key() -> None:
    with pytest.raises(ValueError, match="max_keys"):
        CoalescingWindow(max_keys=0)
