"""Split a stream of byte chunks into numbered lines without ever holding more than one line (plus a chunk)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

UTF8_BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_LINE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class RawLine:
    """One physical line without its terminator. ``too_long`` lines keep only their first ``max_line_bytes``."""

    number: int
    data: bytes
    too_long: bool = False


def iter_lines(chunks: Iterable[bytes], max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[RawLine]:
    """Yield the lines of a byte stream, numbered from 1, lazily.

    Lines end with ``\\n`` or ``\\r\\n``. A UTF-8 byte-order mark at the very start is dropped. A line longer than
    ``max_line_bytes`` is yielded once, truncated and flagged, and the rest of it is skipped, so a file with no line
    breaks cannot exhaust memory.

    Parameters
    ----------
    chunks
        The object's bytes in pieces of any size (e.g. S3's ``StreamingBody.iter_chunks``).
    max_line_bytes
        The longest line kept whole.
    """
    number = 0
    pending = b""
    overflow = False  # inside a line already reported as too long
    first = True
    for chunk in chunks:
        if first and chunk:
            # The BOM check needs three bytes; a tiny first chunk is held back until it has them.
            pending += chunk
            if len(pending) < len(UTF8_BOM) and pending == UTF8_BOM[: len(pending)]:
                continue
            chunk, pending, first = pending.removeprefix(UTF8_BOM), b"", False
        parts = chunk.split(b"\n")
        for part in parts[:-1]:
            if overflow:  # the end of a line already reported as too long
                overflow = False
                pending = b""
                continue
            number += 1
            yield _line(number, pending + part, max_line_bytes)
            pending = b""
        pending += parts[-1]
        if not overflow and len(pending) > max_line_bytes:
            number += 1
            yield RawLine(number, pending[:max_line_bytes], too_long=True)
            overflow = True
        if overflow:
            pending = b""
    if pending and not overflow:
        number += 1
        yield _line(number, pending, max_line_bytes)


def _line(number: int, data: bytes, max_line_bytes: int) -> RawLine:
    data = data.removesuffix(b"\r")
    if len(data) > max_line_bytes:
        return RawLine(number, data[:max_line_bytes], too_long=True)
    return RawLine(number, data)
