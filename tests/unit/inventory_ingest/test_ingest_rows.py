from __future__ import annotations

import pytest
from inventory_ingest.domain.lines import RawLine
from inventory_ingest.domain.rows import HeaderError, Row, column_order, parse_row
from inventory_ingest.models.rejection import Rejection

ORDER = (0, 1, 2, 3)


def parse(text: str | bytes, number: int = 2) -> Row | Rejection | None:
    data = text.encode() if isinstance(text, str) else text
    return parse_row(RawLine(number, data), ORDER)


def test_the_seed_header_maps_in_order() -> None:
    assert column_order(RawLine(1, b"product_id,location,quantity,update_date")) == (0, 1, 2, 3)


def test_header_columns_may_come_in_any_order_and_case() -> None:
    # GIVEN a header with reordered, upper-case, padded names
    order = column_order(RawLine(1, b" Quantity ,PRODUCT_ID,update_date,location"))
    # WHEN a row in that layout is parsed
    row = parse_row(RawLine(2, b"7,P9,2023-05-01,Store 1"), order)
    # THEN fields land in the right places
    assert row == Row(2, "P9", "Store 1", 7, "2023-05-01")


@pytest.mark.parametrize(
    "header",
    [b"product_id,location,quantity", b"id,location,quantity,update_date", b"", b"\xff\xfe"],
)
def test_a_wrong_header_is_refused(header: bytes) -> None:
    with pytest.raises(HeaderError):
        column_order(RawLine(1, header))


def test_a_valid_row_is_trimmed_and_typed() -> None:
    assert parse(" P001 , Warehouse A , 0100 , 2023-05-01 ") == Row(2, "P001", "Warehouse A", 100, "2023-05-01")


def test_quoted_fields_may_hold_commas() -> None:
    assert parse('P1,"Store 1, Main St",5,2023-05-01T10:00:00Z') == Row(
        2, "P1", "Store 1, Main St", 5, "2023-05-01T10:00:00Z"
    )


def test_a_blank_line_is_not_data() -> None:
    assert parse("") is None
    assert parse("   ") is None


UPDATER_FORMS = "(YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS] with Z or +HH:MM)"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("P1,Warehouse A,100", "expected 4 columns, got 3"),
        ("P1,Warehouse A,100,2023-05-01,extra", "expected 4 columns, got 5"),
        ("P1,Warehouse A,ten,2023-05-01", "quantity 'ten' is not a whole number"),
        ("P1,Warehouse A,1.5,2023-05-01", "quantity '1.5' is not a whole number"),
        ("P1,Warehouse A,,2023-05-01", "quantity '' is not a whole number"),
        ("P1,Warehouse A,1_000,2023-05-01", "quantity '1_000' is not a whole number"),
        ("P1,Warehouse A,\u0663,2023-05-01", "quantity '\u0663' is not a whole number"),
        ("P1,Warehouse A,-5,2023-05-01", "quantity -5 is negative"),
        ("P1,Warehouse A,1234567890123456,2023-05-01", "quantity 1234567890123456 has more than 15 digits"),
        ("P1,Warehouse A,5,2023-13-01", "update_date '2023-13-01' is not an ISO-8601 date (YYYY-MM-DD) or date-time"),
        ("P1,Warehouse A,5,2023-02-30", "update_date '2023-02-30' is not an ISO-8601 date (YYYY-MM-DD) or date-time"),
        ("P1,Warehouse A,5,01/05/2023", "update_date '01/05/2023' is not an ISO-8601 date (YYYY-MM-DD) or date-time"),
        ("P1,Warehouse A,5,20230501", "update_date '20230501' is not an ISO-8601 date (YYYY-MM-DD) or date-time"),
        ("P1,Warehouse A,5,", "update_date '' is not an ISO-8601 date (YYYY-MM-DD) or date-time"),
        # Python's fromisoformat reads these; the updater's parser does not, so they are reported here, not
        # dead-lettered by the updater.
        *[
            (f"P1,Warehouse A,5,{d}", f"update_date {d!r} is not in a form the updater reads {UPDATER_FORMS}")
            for d in ("2023-05-01T10:00:00+05", "2023-W01-1T10:00")
        ],
        (",Warehouse A,5,2023-05-01", "product_id is empty"),
        ("P1,,5,2023-05-01", "location is empty"),
        ("P" * 300 + ",Warehouse A,5,2023-05-01", "product_id is longer than 256 characters"),
        ('P1,"Warehouse A,5,2023-05-01', "malformed CSV (unexpected end of data)"),
    ],
)
def test_invalid_rows_are_rejected_with_a_reason(text: str, reason: str) -> None:
    # WHEN an invalid line is parsed
    result = parse(text, number=7)
    # THEN it is rejected with its line number, the reason and its text
    assert result == Rejection(7, reason, text)


def test_a_line_that_is_not_utf8_is_rejected() -> None:
    result = parse(b"P1,Caf\xe9,5,2023-05-01")
    assert isinstance(result, Rejection)
    assert result.reason == "not valid UTF-8 (byte 6)"
    assert result.content == "P1,Caf\ufffd,5,2023-05-01"


def test_a_too_long_line_is_rejected_even_if_it_looks_valid() -> None:
    result = parse_row(RawLine(3, b"P1,A,5,2023-05-01", too_long=True), ORDER)
    assert isinstance(result, Rejection)
    assert result.reason == "line too long"
