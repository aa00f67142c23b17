"""Export the topology as an SVG picture: ``python -m localrun.diagram [-o topology.svg] [--stacks A,B]``.

Reads the same synthesised CDK app the runner does (synthesising it first when needed, as ``./runlocally.sh``
does) and draws it with :mod:`localrun.drawing`, which the console's topology page shows too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from localrun.assembly import read_assembly
from localrun.drawing import render_svg
from localrun.images import repo_root
from localrun.launch import needs_synth, synthesise


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m localrun.diagram", description=__doc__)
    p.add_argument("--cdk-out", default="cdk.out", help="the synthesised cloud assembly (default: cdk.out)")
    p.add_argument("--stacks", default="", help="comma-separated stack names; default all")
    p.add_argument("-o", "--output", default="-", help="the SVG file to write (default: stdout)")
    args = p.parse_args(argv)
    root = repo_root()
    stacks = tuple(s for s in args.stacks.split(",") if s)
    cdk_out = Path(args.cdk_out) if Path(args.cdk_out).is_absolute() else root / args.cdk_out
    if needs_synth(cdk_out, stacks, root):
        synthesise(cdk_out.resolve(), stacks, root)
    svg = render_svg(read_assembly(cdk_out, list(stacks) or None))
    if args.output == "-":
        sys.stdout.write(svg + "\n")
    else:
        Path(args.output).write_text(svg + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
