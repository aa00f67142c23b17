from __future__ import annotations

from collections.abc import Iterator

from inventory_ingest.domain.lines import RawLine, iter_lines


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_lines_are_numbered_and_lose_their_terminators_whatever_the_chunking() -> None:
    # GIVEN a file with a BOM, CRLF and LF endings and no final newline
    data = b"\xef\xbb\xbfh1,h2\r\na,b\nc,d\r\n\r\ne,f"
    expected = [RawLine(1, b"h1,h2"), RawLine(2, b"a,b"), RawLine(3, b"c,d"), RawLine(4, b""), RawLine(5, b"e,f")]
    for size in (1, 2, 3, 5, 64):
        # WHEN it arrives in chunks of any size
        lines = list(iter_lines(chunked(data, size)))
        # THEN the lines are the same
        assert lines == expected, size


def test_a_file_without_bom_keeps_its_first_bytes() -> None:
    assert list(iter_lines([b"\xefx\n"])) == [RawLine(1, b"\xefx")]
    assert list(iter_lines([b"ab", b"c\n"])) == [RawLine(1, b"abc")]


def test_only_a_leading_bom_is_removed() -> None:
    assert list(iter_lines([b"a\n\xef\xbb\xbfb\n"])) == [RawLine(1, b"a"), RawLine(2, b"\xef\xbb\xbfb")]


def test_an_overlong_line_is_reported_once_truncated_and_numbering_continues() -> None:
    # GIVEN a line of 100 bytes between two short lines, in small chunks
    data = b"a\n" + b"x" * 100 + b"\nb\n"
    # WHEN lines are capped at 10 bytes
    lines = list(iter_lines(chunked(data, 4), max_line_bytes=10))
    # THEN the long one is flagged and truncated, and the next line is line 3
    assert lines == [RawLine(1, b"a"), RawLine(2, b"x" * 10, too_long=True), RawLine(3, b"b")]


def test_an_overlong_final_line_is_reported() -> None:
    assert list(iter_lines([b"y" * 30], max_line_bytes=10)) == [RawLine(1, b"y" * 10, too_long=True)]


def test_lines_are_yielded_before_the_stream_is_exhausted() -> None:
    # GIVEN an endless stream that counts the chunks taken from it
    taken = 0

    def endless() -> Iterator[bytes]:
        nonlocal taken
        while True:
            taken += 1
            yield b"P001,Warehouse A,1,2023-05-01\n" * 100

    # WHEN the first 150 lines are read
    lines = iter_lines(endless())
    for _ in range(150):
        next(lines)
    # THEN only the chunks holding them were pulled
    assert taken == 2
