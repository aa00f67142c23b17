"""The local AWS endpoint alone, with no topology: moto behind :4566 with the runner's Lambda API and rewriting.

    python -m localrun.endpoint [--port 4566]

For scripts and tools that only need AWS APIs (and for bench's ``endpoint`` figure, which compares this endpoint
with other free emulators). Functions created at runtime are not run: the Lambda API knows only a topology's.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from localrun.clock import Clock
from localrun.journal import Journal
from localrun.launch import READY
from localrun.model import Function, Topology
from localrun.pool import Instance
from localrun.runner import Runner


def _no_functions(fn: Function) -> Instance:
    raise LookupError(f"{fn.name}: the endpoint alone runs no functions")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m localrun.endpoint", description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=4566)
    args = p.parse_args(argv)
    done = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:  # noqa: ARG001 - signal handler signature
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    runner = Runner(Topology(stacks=()), _no_functions, clock=Clock(), journal=Journal(), port=args.port)
    runner.start()
    sys.stdout.write(f"local AWS endpoint  {runner.endpoint}\n{READY}\n")
    sys.stdout.flush()
    try:
        done.wait()
    finally:
        runner.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
