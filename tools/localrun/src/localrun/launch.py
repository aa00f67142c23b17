"""The one way the whole topology starts: synthesise if needed, read the assembly, start, wait for READY.

``python -m localrun.topology`` (what ``./runlocally.sh`` runs) calls :meth:`LocalTopology.serve` in its own
process; the e2e fixture and bench call :func:`spawn`, which runs that same command as a child and waits for its
``READY`` line, so every caller goes through the same steps.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from localrun.clock import Clock
from localrun.journal import Journal
from localrun.model import Topology
from localrun.runner import DEFAULT_POOL_MAX, Runner, rie_starter
from localrun.traces import DEFAULT_KEEP_HOPS

DEFAULT_CONSOLE_PORT = 4567

if TYPE_CHECKING:
    from localrun.reload import SourceWatcher

Mode = Literal["auto", "docker", "process"]
Synth = Literal["auto", "always", "never"]
READY = "READY"
RESTART = 75  # serve()'s answer when the topology must start again (an infra change not applicable in place)


@dataclass(frozen=True)
class LaunchSettings:
    """Everything a start needs; :meth:`argv` is the same settings as ``python -m localrun.topology`` options."""

    cdk_out: Path = Path("cdk.out")
    stacks: tuple[str, ...] = ()
    mode: Mode = "auto"
    time_scale: float = 1.0
    port: int = 4566
    api_port: int = 3000
    pool_max: int = DEFAULT_POOL_MAX
    warm: int = 1
    synth: Synth = "auto"
    build_images: bool = False
    json_log: bool = False
    function_logs: Path | None = None
    chaos_fail_rate: float = 0.0
    chaos_kill_rate: float = 0.0
    chaos_functions: str = ""
    reload: bool = False  # hot reload: watch the sources and recycle the functions whose code changed
    state_dir: Path | None = None  # keep moto's state (and pending async invocations) here across restarts
    fresh: bool = False  # start with an empty state directory
    console_port: int | None = DEFAULT_CONSOLE_PORT  # None: no console
    trace_hops: int = DEFAULT_KEEP_HOPS
    extra_args: tuple[str, ...] = field(default=(), compare=False)  # passed through verbatim (spawn only)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def console(self) -> str | None:
        return None if self.console_port is None else f"http://127.0.0.1:{self.console_port}/"

    def argv(self) -> list[str]:
        args = [
            "--cdk-out",
            str(self.cdk_out),
            "--stacks",
            ",".join(self.stacks),
            "--mode",
            self.mode,
            "--time-scale",
            str(self.time_scale),
            "--port",
            str(self.port),
            "--api-port",
            str(self.api_port),
            "--pool-max",
            str(self.pool_max),
            "--warm",
            str(self.warm),
            "--synth",
            self.synth,
        ]
        args += ["--trace-hops", str(self.trace_hops)]
        args += ["--no-console"] if self.console_port is None else ["--console-port", str(self.console_port)]
        if self.build_images:
            args.append("--build-images")
        if self.json_log:
            args.append("--json-log")
        args.append("--reload" if self.reload else "--no-reload")
        args += ["--state", str(self.state_dir)] if self.state_dir else ["--no-state"]
        if self.fresh:
            args.append("--fresh")
        if self.function_logs:
            args += ["--function-logs", str(self.function_logs)]
        if self.chaos_fail_rate or self.chaos_kill_rate:
            args += ["--chaos-fail-rate", str(self.chaos_fail_rate), "--chaos-kill-rate", str(self.chaos_kill_rate)]
            args += ["--chaos-functions", self.chaos_functions]
        return [*args, *self.extra_args]


class LaunchError(RuntimeError):
    """The topology cannot start as asked (synth failed, images missing, ...); the message says what to do."""


# -- synth ----------------------------------------------------------------------------------------------------
def needs_synth(cdk_out: Path, stacks: tuple[str, ...], root: Path) -> str | None:
    """Why ``cdk_out`` must be (re)synthesised, or None when its inputs are unchanged (``localrun.freshness``)."""
    from localrun.freshness import assembly_is_current

    return assembly_is_current(cdk_out, root, stacks)


def synthesise(outdir: Path, stacks: tuple[str, ...] | list[str] = (), root: Path | None = None) -> None:
    """Synthesise the app's stacks (all when ``stacks`` is empty) in a subprocess: jsii stays out of the runner."""
    from localrun.images import repo_root

    code = (
        "import aws_cdk as cdk\n"
        "from infra.app import build_app, cdk_json_context\n"
        f"app = cdk.App(outdir={str(outdir)!r}, context=cdk_json_context())\n"
        f"build_app(app, only={list(stacks) or None!r}).synth()\n"
    )
    env = os.environ | {"JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root or repo_root()
    )
    if proc.returncode != 0:
        raise LaunchError(f"synth failed:\n{proc.stderr.strip()[-3000:]}")
    from localrun.freshness import record_assembly

    record_assembly(outdir, root or repo_root(), tuple(stacks))


def resolve_mode(mode: Mode) -> Literal["docker", "process"]:
    if mode != "auto":
        return mode
    from localrun.instance import docker_available

    return "docker" if docker_available() else "process"


def check_images(topology: Topology, build: bool, cdk_out: Path, say: IO[str]) -> list[str]:
    """Docker mode: the service images that are missing, after building (with ``build``) those whose inputs
    changed since localrun last built them from the assembly's image assets (as `cdk deploy` would). Never pulls.

    One ``docker images`` call decides for all (``localrun.freshness``): a restart with nothing changed runs no
    ``docker build`` at all.
    """
    from localrun.freshness import ImageStamps, local_image_ids
    from localrun.images import repo_root

    services = sorted({fn.service for fn in topology.functions})
    tags = local_image_ids()
    if not build or not services:
        return [s for s in services if s not in tags]
    stamps = ImageStamps(repo_root())
    stale = stamps.stale(services, tags)
    reused = [s for s in services if s not in stale]
    if reused:
        say.write(f"localrun: images reused (inputs unchanged): {', '.join(reused)}\n")
    if stale:
        from localrun.images import build_assembly_images

        reasons = ", ".join(f"{service} ({why})" for service, why in stale.items())
        say.write(f"localrun: building image(s) {reasons} from the image assets of {cdk_out} ...\n")
        say.flush()
        build_assembly_images(cdk_out, list(stale))
        tags = local_image_ids()
        for service in stale:
            if service in tags:
                stamps.record(service, tags[service])
    return [s for s in services if s not in tags]


# -- in this process ------------------------------------------------------------------------------------------
class LocalTopology:
    """Prepare (synth if needed, read the assembly, check images), start the runner, serve until stopped."""

    def __init__(self, settings: LaunchSettings, journal: Journal | None = None, out: IO[str] | None = None) -> None:
        from localrun.images import repo_root

        self.settings = settings
        self.journal = journal or Journal(as_json=settings.json_log)
        self.out = out or sys.stdout
        self.root = repo_root()
        self.restart_requested = threading.Event()  # an infra change that cannot be applied in place

    def _say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def prepare(self) -> tuple[Topology, Literal["docker", "process"]]:
        from localrun.assembly import read_assembly

        s = self.settings
        cdk_out = s.cdk_out if s.cdk_out.is_absolute() else self.root / s.cdk_out
        why = "asked to" if s.synth == "always" else needs_synth(cdk_out, s.stacks, self.root)
        if s.synth != "never" and why:
            self._say(f"localrun: synthesising {', '.join(s.stacks) or 'every stack'} into {s.cdk_out} ({why}) ...")
            synthesise(cdk_out.resolve(), s.stacks, self.root)
        elif not why:
            self._say(f"localrun: cloud assembly {s.cdk_out} reused (infra/, cdk.json, handler metadata unchanged)")
        topology = read_assembly(cdk_out, list(s.stacks) or None, endpoint=s.endpoint)
        mode = resolve_mode(s.mode)
        if mode == "docker":
            missing = check_images(topology, s.build_images, cdk_out, self.out)
            if missing:
                raise LaunchError(
                    f"missing image(s) {', '.join(missing)}: build them with "
                    f"{' && '.join(f'docker/build-image.sh {m}' for m in missing)}, pass --build-images, "
                    "or use --mode process"
                )
        return topology, mode

    def serve(self, stop: threading.Event) -> int:
        """Start, print what listens where and ``READY``, run until ``stop`` is set, stop everything."""
        from localrun.lambdas import Chaos

        s = self.settings
        try:
            topology, mode = self.prepare()
        except Exception as exc:
            sys.stderr.write(f"localrun: {exc}\n")
            return 2
        function_logs = s.function_logs.open("a", buffering=1) if s.function_logs else None

        mounts = None
        if s.reload and mode == "docker":
            from localrun.reload import source_mounts

            mounts = lambda service: source_mounts(service, self.root)  # noqa: E731 - a one-line closure
        state_dir = None
        if s.state_dir:
            state_dir = s.state_dir if s.state_dir.is_absolute() else self.root / s.state_dir
            self._say(self._prepare_state(state_dir))
        runner = Runner(
            topology,
            rie_starter(mode, s.endpoint, function_logs, mounts),
            clock=Clock(s.time_scale),
            journal=self.journal,
            port=s.port,
            api_port=s.api_port,
            pool_max=s.pool_max,
            warm=s.warm,
            mode=mode,
            state_dir=str(state_dir) if state_dir else None,
            console_port=s.console_port,
            trace_hops=s.trace_hops,
        )
        try:
            runner.start()
            if runner.control is not None and (s.chaos_fail_rate or s.chaos_kill_rate):
                runner.control.set_chaos(Chaos(s.chaos_fail_rate, s.chaos_kill_rate, s.chaos_functions))
        except Exception as exc:
            sys.stderr.write(f"localrun: could not start: {exc}\n")
            return 1
        self._say(runner.describe())
        self._say(
            f"mode {mode}; started in {runner.timings['total_s']:.1f} s "
            f"(provision {runner.timings.get('provision_s', 0):.2f} s, warm {runner.timings.get('warm_s', 0):.1f} s)"
        )
        watcher = self._watch(runner, topology, mode) if s.reload else None
        self._say(READY)
        try:
            reaped = time.monotonic()
            while not stop.wait(0.5) and not self.restart_requested.is_set():
                if time.monotonic() - reaped > 30:
                    runner.reap_idle()
                    reaped = time.monotonic()
        finally:
            self._say("localrun: stopping ...")
            if watcher is not None:
                watcher.stop()
            runner.stop()
            self._say("localrun: stopped")
        return RESTART if self.restart_requested.is_set() and not stop.is_set() else 0

    def _apply_infra(self, runner: Runner, names: str, lock: threading.Lock) -> None:
        """Re-synthesise; apply the difference in place when safe, else restart keeping the state."""
        import shutil
        import tempfile

        from localrun.apply import diff
        from localrun.assembly import read_assembly
        from localrun.freshness import record_assembly

        with lock:
            s = self.settings
            cdk_out = (s.cdk_out if s.cdk_out.is_absolute() else self.root / s.cdk_out).resolve()
            self.journal.log("infra", f"{names} changed: synthesising in the background ...")
            t = time.monotonic()
            staging = Path(tempfile.mkdtemp(prefix="cdk.out.", dir=cdk_out.parent))
            try:
                synthesise(staging, s.stacks, self.root)
                new = read_assembly(staging, list(s.stacks) or None, endpoint=s.endpoint)
            except Exception as exc:
                shutil.rmtree(staging, ignore_errors=True)
                self.journal.log("infra", f"not applied, the running topology is unchanged: {exc}")
                return
            shutil.rmtree(cdk_out, ignore_errors=True)
            staging.rename(cdk_out)
            record_assembly(cdk_out, self.root, s.stacks)
            new = read_assembly(cdk_out, list(s.stacks) or None, endpoint=s.endpoint)  # its asset paths, not staging's
            change = diff(runner.topology, new)
            if change.empty:
                self.journal.log("infra", f"synthesised in {time.monotonic() - t:.1f} s: {change.describe()}")
                return
            if change.unsafe:
                kept = "state kept" if s.state_dir else "state NOT kept (--no-state)"
                self.journal.log("infra", f"cannot apply in place ({'; '.join(change.unsafe)}): restarting, {kept} ...")
                self.restart_requested.set()
                return
            try:
                runner.apply(new, change)
            except Exception as exc:
                self.journal.log("infra", f"applying failed ({exc!r}): restarting, state kept ...")
                self.restart_requested.set()
                return
            self.journal.log("infra", f"applied in {time.monotonic() - t:.1f} s: {change.describe()}")

    def _prepare_state(self, state_dir: Path) -> str:
        from localrun.state import PENDING_ASYNC, SNAPSHOT

        if self.settings.fresh:
            for name in (SNAPSHOT, PENDING_ASYNC):
                (state_dir / name).unlink(missing_ok=True)
            return f"state: {state_dir} (--fresh: starting empty)"
        if (state_dir / SNAPSHOT).is_file():
            return (
                f"state: {state_dir} (restoring tables, objects, queues and messages, topics, buses; --fresh empties)"
            )
        return f"state: {state_dir} (empty; kept across restarts)"

    def _watch(self, runner: Runner, topology: Topology, mode: str) -> SourceWatcher | None:
        """Hot reload: recycle the functions of a service whose source was saved (see ``localrun.reload``)."""
        from localrun.reload import Reloader, SourceWatcher

        if runner.control is None:
            return None
        functions: dict[str, list[str]] = {}
        for fn in topology.functions:
            functions.setdefault(fn.service, []).append(fn.name)

        def rebuild(service: str) -> None:
            # As the start path builds: from the assembly's image asset, then stamped (localrun.freshness).
            from localrun.freshness import ImageStamps, local_image_ids
            from localrun.images import build_assembly_images

            s = self.settings
            build_assembly_images(s.cdk_out if s.cdk_out.is_absolute() else self.root / s.cdk_out, [service])
            image_id = local_image_ids().get(service)
            if image_id:
                ImageStamps(self.root).record(service, image_id)

        infra_lock = threading.Lock()

        def infra_changed(paths: tuple[Path, ...]) -> None:
            # In the background (a synth takes seconds); saves during one are picked up by the next.
            names = ", ".join(str(p.relative_to(self.root)) for p in paths)
            threading.Thread(target=self._apply_infra, args=(runner, names, infra_lock), daemon=True).start()

        reloader = Reloader(functions, runner.control, self.journal, mode, rebuild, infra_changed)
        watcher = SourceWatcher(self.root, functions, reloader)
        watcher.start()
        mounted = ", mounted over the images' packages" if mode == "docker" else ""
        self._say(f"hot reload: on (services/*/src, libs/*/src{mounted}; --no-reload turns it off)")
        return watcher


# -- as a child process (tests, bench) ------------------------------------------------------------------------
@dataclass
class RunningTopology:
    """A topology started by :func:`spawn`: where it listens, its log so far, and its process."""

    settings: LaunchSettings
    proc: subprocess.Popen[str]
    log_path: Path
    log: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return self.settings.endpoint

    @property
    def api(self) -> str:
        return self.settings.api


@contextmanager
def spawn(settings: LaunchSettings, log_path: Path, ready_timeout_s: float = 600.0) -> Iterator[RunningTopology]:
    """Run ``python -m localrun.topology`` with ``settings`` on this machine; yield once it printed ``READY``.

    Its output goes to ``log_path`` (and the handle's ``log``); it is stopped (SIGTERM to its process group) on
    exit. ``ready_timeout_s`` bounds the whole start, a synth included.
    """
    from localrun.images import repo_root

    settings = replace(settings, cdk_out=settings.cdk_out.resolve())
    cmd = [sys.executable, "-m", "localrun.topology", *settings.argv()]
    proc = subprocess.Popen(
        cmd, cwd=repo_root(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    running = RunningTopology(settings, proc, log_path)
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        with log_path.open("w") as fh:
            for line in proc.stdout:
                running.log.append(line.rstrip())
                fh.write(line)
                fh.flush()
                if line.strip() == READY:
                    ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + ready_timeout_s
    while not ready.is_set() and proc.poll() is None and time.monotonic() < deadline:
        ready.wait(0.5)
    try:
        if not ready.is_set():
            time.sleep(0.2)  # let the pump catch the last lines
            raise LaunchError(f"local topology did not start (log {log_path}):\n" + "\n".join(running.log[-60:]))
        yield running
    finally:
        stop_process_group(proc)


def stop_process_group(proc: subprocess.Popen[str]) -> None:
    """SIGTERM (what Ctrl-C's handler does too), then SIGKILL if the runner has not stopped within 60 s."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
