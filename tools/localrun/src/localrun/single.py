"""Serve one service's handler under RIE on http://127.0.0.1:9000, as the seed's runlocally.sh did.

Docker mode builds the service image and runs it with RIE mounted; process mode runs the same handler with the
same RIE and awslambdaric as a local process (used when no Docker engine answers). Behaviour is identical.

Usage: python -m localrun.single SERVICE [--handler NAME] [--docker|--process] [--port 9000] [--base IMAGE]
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from typing import Any

from localrun.images import BuildError, build_image, known_services, load_service, repo_root, resolve_base_image
from localrun.instance import FunctionSpec, InstanceError, docker_available, port_in_use, start_instance
from localrun.reload import SourceWatcher, source_mounts
from localrun.rie import RieUnavailableError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="runlocally.sh SERVICE", description="Serve one service under RIE.")
    p.add_argument("service")
    p.add_argument("--handler", help="entrypoint short name from [tool.lambda.handlers] (default: the image CMD)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--docker", dest="mode", action="store_const", const="docker", help="force Docker mode")
    mode.add_argument("--process", dest="mode", action="store_const", const="process", help="force process mode")
    p.add_argument("--port", type=int, default=9000)
    p.add_argument("--base", help="base image for the Docker build (default: public Python image, else offline base)")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra environment for the handler")
    p.add_argument(
        "--reload",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="hot reload (default on): restart the handler when a file under its src/ or libs/*/src is saved",
    )
    return p.parse_args(argv)


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:  # noqa: C901 - a linear CLI flow
    args = parse_args(argv)
    if args.service not in known_services():
        return _fail(f"unknown service {args.service!r}. Known services:\n  " + "\n  ".join(known_services()))
    svc = load_service(args.service)
    if args.handler:
        if args.handler not in svc.handlers:
            return _fail(f"{svc.name} has no handler {args.handler!r}; it has: {', '.join(svc.handlers)}")
        handler = svc.handlers[args.handler]
    else:
        handler = svc.handler
    if port_in_use(args.port):
        return _fail(
            f"port {args.port} on 127.0.0.1 is already in use (another runlocally.sh?); stop it or pass --port N"
        )
    env = dict(item.split("=", 1) for item in args.env if "=" in item)

    if args.mode == "docker" and not docker_available():
        return _fail("--docker given but no Docker engine answers (is dockerd running?)")
    mode = args.mode or ("docker" if docker_available() else "process")
    reason = "forced" if args.mode else ("Docker engine found" if mode == "docker" else "no Docker engine answers")
    print(f"mode: {mode} ({reason})", flush=True)

    # Handlers go in before anything starts, so a Ctrl-C at any moment still stops what was started.
    # SIGINT explicitly too: a backgrounded non-interactive shell job starts with SIGINT ignored.
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:  # noqa: ARG001 - signal handler signature
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        if mode == "docker":
            base = resolve_base_image(args.base)
            print(f"building image {svc.name} on {base} ...", flush=True)
            build_image(svc.name, base)
        mounts = source_mounts(svc.name, repo_root()) if args.reload and mode == "docker" else ()
        spec = FunctionSpec(name=svc.name, service=svc.name, handler=handler, env=env, mounts=mounts)
        instance = start_instance(spec, mode, port=args.port)
    except (BuildError, InstanceError, RieUnavailableError) as exc:
        return _fail(str(exc))

    print(
        f"serving {svc.name} ({handler}) on {instance.url}\ntry: ./calllocally.sh {svc.name}    (Ctrl-C to stop)",
        flush=True,
    )
    changed = threading.Event()
    watcher = None
    if args.reload:
        watcher = SourceWatcher(repo_root(), [svc.name], lambda changes: changed.set() if changes.code else None)
        watcher.start()
        print("hot reload: on (--no-reload turns it off)", flush=True)
    try:
        while not stop_requested.wait(0.2):
            if changed.is_set():
                # One instance on a fixed port: a restart (about a second) is the reload; a request sent in that
                # second is refused. The topology runner recycles pools instead and loses none.
                changed.clear()
                started = time.monotonic()
                instance.stop()
                try:
                    instance = start_instance(spec, mode, port=args.port)
                except InstanceError as exc:
                    return _fail(str(exc), 1)
                print(f"reload {svc.name}: restarted in {time.monotonic() - started:.2f} s", flush=True)
            if not instance.alive():
                print(f"{svc.name}: the RIE exited", file=sys.stderr)
                return 1
    finally:
        if watcher is not None:
            watcher.stop()
        instance.stop()
        print(f"stopped {svc.name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
