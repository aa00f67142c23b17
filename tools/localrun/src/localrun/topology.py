"""Run the whole CDK topology on this machine: ``./runlocally.sh`` runs this.

    python -m localrun.topology [--cdk-out cdk.out] [--stacks A,B] [--time-scale F] [--mode auto|docker|process]

Synthesises the app when needed, starts moto behind the local AWS endpoint (:4566), provisions every resource of
the selected stacks, starts a warm RIE pool per function, the SQS pollers and the REST API (:3000), prints what
listens where and a line ``READY``, then logs one line per invocation and event hop until Ctrl-C / SIGTERM, when it
stops everything it started. The steps are :mod:`localrun.launch`'s, shared with the e2e tests and bench.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from localrun.launch import DEFAULT_CONSOLE_PORT, RESTART, LaunchSettings, LocalTopology
from localrun.runner import DEFAULT_POOL_MAX
from localrun.traces import DEFAULT_KEEP_HOPS


def _positive_int(text: str) -> int:
    """An argparse type: a count that only makes sense above zero (a store of -5 hops, a pool of 0 instances)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m localrun.topology", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--cdk-out", default="cdk.out", help="the synthesised cloud assembly (default: cdk.out)")
    p.add_argument("--stacks", default="", help="comma-separated stack names (and their dependencies); default all")
    p.add_argument("--time-scale", type=float, default=1.0, help="factor for every AWS delay (0.01: 60 s -> 0.6 s)")
    p.add_argument("--mode", choices=("auto", "docker", "process"), default="auto")
    p.add_argument("--port", type=int, default=4566, help="local AWS endpoint port")
    p.add_argument("--api-port", type=int, default=3000, help="REST API port")
    p.add_argument(
        "--console-port", type=int, default=DEFAULT_CONSOLE_PORT, help="the console's port on 127.0.0.1 (default 4567)"
    )
    p.add_argument("--no-console", action="store_true", help="do not start the console")
    p.add_argument(
        "--trace-hops",
        type=_positive_int,
        default=DEFAULT_KEEP_HOPS,
        help=f"hops the console's trace store keeps; older ones are dropped (default {DEFAULT_KEEP_HOPS})",
    )
    p.add_argument("--pool-max", type=_positive_int, default=DEFAULT_POOL_MAX, help="max instances per function")
    p.add_argument("--warm", type=int, default=1, help="instances started per function before READY")
    p.add_argument("--json-log", action="store_true", help="log as JSON lines")
    state = p.add_mutually_exclusive_group()
    state.add_argument(
        "--state",
        metavar="DIR",
        default=".localrun/state",
        help="keep tables, objects, queues with their messages, topics, buses with rules, and async invocations "
        "pending at a stop in DIR across restarts and crashes (default: .localrun/state)",
    )
    state.add_argument("--no-state", dest="state", action="store_const", const="", help="keep nothing (in memory)")
    p.add_argument("--fresh", action="store_true", help="start with an empty --state directory")
    p.add_argument(
        "--reload",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="hot reload (default on): a saved file under services/<svc>/src or libs/*/src reaches the next "
        "invocation of that service's functions; --no-reload turns it off",
    )
    p.add_argument(
        "--chaos-fail-rate",
        type=float,
        default=0.0,
        help="share of invocations failed after the function ran (fault injection)",
    )
    p.add_argument(
        "--chaos-kill-rate",
        type=float,
        default=0.0,
        help="share of invocations whose instance is killed mid-flight (fault injection)",
    )
    p.add_argument("--chaos-functions", default="", help="apply fault injection to functions whose name contains this")
    p.add_argument(
        "--function-logs",
        metavar="FILE",
        help="write the functions' own output (RIE, Powertools logs) to FILE; the console keeps one line per "
        "invocation and event hop",
    )
    p.add_argument(
        "--synth",
        choices=("auto", "always", "never"),
        default="auto",
        help="synthesise the selected stacks of the CDK app (infra.app) into --cdk-out first: auto (default) when "
        "there is no assembly yet or infra/ changed since, always, or never",
    )
    p.add_argument(
        "--build-images",
        action="store_true",
        help="docker mode: build the topology's service images from the assembly's image assets first, as `cdk deploy` "
        "would (Docker's cache keeps an unchanged one quick)",
    )
    return p.parse_args(argv)


def settings_from(args: argparse.Namespace) -> LaunchSettings:
    return LaunchSettings(
        cdk_out=Path(args.cdk_out),
        stacks=tuple(s for s in args.stacks.split(",") if s),
        mode=args.mode,
        time_scale=args.time_scale,
        port=args.port,
        api_port=args.api_port,
        pool_max=args.pool_max,
        warm=args.warm,
        synth=args.synth,
        build_images=args.build_images,
        json_log=args.json_log,
        reload=args.reload,
        state_dir=Path(args.state) if args.state else None,
        fresh=args.fresh,
        function_logs=Path(args.function_logs) if args.function_logs else None,
        chaos_fail_rate=args.chaos_fail_rate,
        chaos_kill_rate=args.chaos_kill_rate,
        chaos_functions=args.chaos_functions,
        console_port=None if args.no_console else args.console_port,
        trace_hops=args.trace_hops,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    done = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:  # noqa: ARG001 - signal handler signature
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = LocalTopology(settings_from(args)).serve(done)
    if code == RESTART:  # the same command again, in the same process (Ctrl-C and spawn() keep working)
        sys.stdout.write("localrun: restarting ...\n")
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-m", "localrun.topology", *(sys.argv[1:] if argv is None else argv)])
    return code


if __name__ == "__main__":
    sys.exit(main())
