"""Generate large synthetic inventory CSVs for tests and benchmarks, streamed to disk (any row count).

    python -m inventory_ingest.generate --rows 100000 --bad-share 0.01 -o file.csv [--seed 7] [--no-bom]

Exactly ``floor(rows * bad_share)`` rows are invalid, spread evenly through the file; each bad row has one of the
defects the ingest function must reject (missing column, non-integer or negative quantity, bad date, empty id).
The counts are printed to stderr as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

HEADER = "product_id,location,quantity,update_date"
LOCATIONS = ("Warehouse A", "Warehouse B", "Warehouse C", "Store 1", "Store 2")
BAD_KINDS = ("missing_column", "non_integer_quantity", "negative_quantity", "bad_date", "empty_product_id")


@dataclass(frozen=True, slots=True)
class Counts:
    rows: int
    bad: int

    @property
    def good(self) -> int:
        return self.rows - self.bad


def is_bad(index: int, bad_share: float) -> bool:
    """Row ``index`` (0-based) is bad when the running count of bad rows steps up there: exact and evenly spread."""
    return int((index + 1) * bad_share) > int(index * bad_share)


def generate_rows(rows: int, bad_share: float = 0.0, seed: int = 0, products: int = 1000) -> Iterator[str]:
    """Yield the header then ``rows`` data lines (without line breaks)."""
    if not 0.0 <= bad_share <= 1.0:
        raise ValueError("bad_share must be between 0 and 1")
    rng = random.Random(seed)
    start = date(2023, 5, 1)
    yield HEADER
    for i in range(rows):
        product = f"P{rng.randrange(products):05d}"
        location = rng.choice(LOCATIONS)
        quantity = str(rng.randrange(0, 10_000))
        day = (start + timedelta(days=rng.randrange(365))).isoformat()
        if is_bad(i, bad_share):
            kind = BAD_KINDS[rng.randrange(len(BAD_KINDS))]
            if kind == "missing_column":
                yield f"{product},{location},{quantity}"
                continue
            if kind == "non_integer_quantity":
                quantity = rng.choice(("ten", "1.5", "", "1e3"))
            elif kind == "negative_quantity":
                quantity = f"-{rng.randrange(1, 100)}"
            elif kind == "bad_date":
                day = rng.choice(("2023-13-01", "01/05/2023", "yesterday", "2023-02-30"))
            else:
                product = ""
        yield f"{product},{location},{quantity},{day}"


def write_csv(path: Path, rows: int, bad_share: float = 0.0, seed: int = 0, bom: bool = True) -> Counts:
    """Write a file of ``rows`` data rows; return how many are good and bad."""
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        for line in generate_rows(rows, bad_share, seed):
            out.write(line + "\r\n")
    return Counts(rows=rows, bad=int(rows * bad_share))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inventory_ingest.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="number of data rows (the header is extra)")
    parser.add_argument("--bad-share", type=float, default=0.0, help="share of invalid rows, 0..1 (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same file)")
    parser.add_argument("--no-bom", action="store_true", help="omit the UTF-8 byte-order mark")
    parser.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be >= 0")
    if not 0.0 <= args.bad_share <= 1.0:
        parser.error("--bad-share must be between 0 and 1")
    counts = write_csv(args.output, args.rows, args.bad_share, args.seed, bom=not args.no_bom)
    sys.stderr.write(
        json.dumps({"file": str(args.output), "rows": counts.rows, "good": counts.good, "bad": counts.bad})
    )
    sys.stderr.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
