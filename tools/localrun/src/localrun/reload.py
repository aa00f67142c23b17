"""Hot reload: a saved file under a service's or a shared library's source reaches the next invocation.

:class:`SourceWatcher` watches the repository with ``watchfiles`` (inotify/FSEvents, not polling) and hands each
batch of changes, sorted by :func:`classify`, to a callback. :class:`Reloader` is that callback for a running
topology: the functions of every service whose code changed are recycled through the control plane
(``LambdaControlPlane.recycle``: instances in flight finish on the old code, the next invocation starts a new
one), and a dependency change (a service's ``pyproject.toml``, or ``uv.lock``) rebuilds that service's image only
in Docker mode before recycling. Docker mode needs no rebuild for code: every container runs with the service's
and the shared libraries' sources mounted over the installed packages (:func:`source_mounts`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from localrun.journal import Journal

TASK_ROOT = "/var/task"  # where the images install the packages (LAMBDA_TASK_ROOT)
_WATCHED_SUFFIXES = (".py", ".json", ".yaml", ".yml", ".toml", ".lock", ".txt", ".csv", ".html")


@dataclass(frozen=True)
class Changes:
    """One batch of saved files, by what they change."""

    code: frozenset[str] = frozenset()  # services whose source changed (a shared library: every service)
    dependencies: frozenset[str] = frozenset()  # services whose dependencies changed
    infra: tuple[Path, ...] = ()  # files of the CDK app (infra/, cdk.json)

    def __bool__(self) -> bool:
        return bool(self.code or self.dependencies or self.infra)


def _packages(src: Path) -> list[Path]:
    return sorted(p for p in src.iterdir() if (p / "__init__.py").is_file()) if src.is_dir() else []


def source_mounts(service: str, root: Path) -> tuple[tuple[str, str], ...]:
    """Docker mode: the service's packages and every shared library's, each over its installed copy."""
    dirs = _packages(root / "services" / service / "src")
    for lib in sorted((root / "libs").iterdir()) if (root / "libs").is_dir() else []:
        dirs += _packages(lib / "src")
    return tuple((str(d.resolve()), f"{TASK_ROOT}/{d.name}") for d in dirs)


def classify(paths: Iterable[Path], root: Path, services: Iterable[str]) -> Changes:
    """Sort saved files: service source, shared library source, dependencies, infra; anything else is ignored."""
    known = set(services)
    code: set[str] = set()
    deps: set[str] = set()
    infra: list[Path] = []
    for path in paths:
        try:
            parts = path.resolve().relative_to(root.resolve()).parts
        except ValueError:
            continue
        if "__pycache__" in parts or not parts:
            continue
        if parts == ("uv.lock",):
            deps |= known  # the workspace's one lock: which service it touches is for the build to find out
        elif parts == ("cdk.json",) or (parts[0] == "infra" and path.suffix == ".py"):
            infra.append(path)
        elif len(parts) >= 3 and parts[0] == "services" and parts[1] in known:
            if parts[2] == "src":
                code.add(parts[1])
            elif parts[2] in ("pyproject.toml", "uv.lock", "Dockerfile"):
                deps.add(parts[1])
        elif len(parts) >= 3 and parts[0] == "libs":
            if parts[2] == "src":
                code |= known
            elif parts[2] == "pyproject.toml":
                deps |= known
    return Changes(frozenset(code - deps), frozenset(deps), tuple(infra))


class SourceWatcher:
    """Watches services/, libs/, infra/, cdk.json and uv.lock; calls ``on_change`` with each batch, in order."""

    def __init__(self, root: Path, services: Iterable[str], on_change: Callable[[Changes], None]) -> None:
        self.root = root
        self.services = tuple(services)
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="localrun-watch", daemon=True)
        self.ready = threading.Event()  # set once the OS watches are in place

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _paths(self) -> list[Path]:
        return [p for p in (self.root / n for n in ("services", "libs", "infra", "cdk.json", "uv.lock")) if p.exists()]

    def _run(self) -> None:
        from watchfiles import DefaultFilter, watch

        class SourceFilter(DefaultFilter):
            def __call__(self, change: object, path: str) -> bool:
                return path.endswith(_WATCHED_SUFFIXES) and super().__call__(change, path)  # type: ignore[arg-type]

        batches = watch(
            *self._paths(),
            watch_filter=SourceFilter(),
            stop_event=self._stop,
            debounce=400,  # an editor's save is a burst of writes and renames: one reload for it
            step=30,
            rust_timeout=500,
            yield_on_timeout=True,
        )
        for batch in batches:
            self.ready.set()
            paths = [Path(p) for _, p in batch]
            changes = classify(paths, self.root, self.services)
            if changes:
                drop_bytecode(paths)
                self._on_change(changes)


def drop_bytecode(paths: Iterable[Path]) -> None:
    """Remove the cached bytecode of saved modules. A .pyc is trusted when the source's size and mtime (whole
    seconds) match: two saves of the same length within one second would otherwise run the first one's code."""
    for path in paths:
        if path.suffix == ".py":
            for cached in path.parent.glob(f"__pycache__/{path.stem}.*.pyc"):
                cached.unlink(missing_ok=True)


class Recycler(Protocol):
    """What the reloader needs of the control plane."""

    def recycle(self, names: list[str], warm: int = 1) -> None: ...


@dataclass
class Reloader:
    """Applies a batch of changes to a running topology: rebuild images whose dependencies changed, recycle."""

    functions: dict[str, list[str]]  # service -> its functions' names in this topology
    control: Recycler
    journal: Journal
    mode: str
    rebuild: Callable[[str], None] | None = None  # docker mode: build one service's image
    on_infra: Callable[[tuple[Path, ...]], None] | None = None
    reloads: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, changes: Changes) -> None:
        with self._lock:  # one batch at a time, in the order they were saved
            for service in sorted(changes.dependencies & self.functions.keys()):
                self._dependencies_changed(service)
            code = sorted(changes.code & self.functions.keys())
            if code:
                self._recycle(code, "code")
            if changes.infra and self.on_infra is not None:
                self.on_infra(changes.infra)

    def _dependencies_changed(self, service: str) -> None:
        if self.mode != "docker" or self.rebuild is None:
            self.journal.log(
                "reload",
                f"{service}: dependencies changed; process mode runs the workspace's .venv: run `uv sync` "
                "if they are not installed yet",
            )
            self._recycle([service], "dependencies")
            return
        self.journal.log("reload", f"{service}: dependencies changed: rebuilding image {service} (only) ...")
        t = time.monotonic()
        try:
            self.rebuild(service)
        except Exception as exc:
            self.journal.log("reload", f"{service}: image build failed, keeping the running code: {exc}")
            return
        self.journal.log("reload", f"{service}: image {service} rebuilt in {time.monotonic() - t:.1f} s")
        self._recycle([service], "dependencies")

    def _recycle(self, services: list[str], why: str) -> None:
        t = time.monotonic()
        names = [name for s in services for name in self.functions[s]]
        self.control.recycle(names)
        self.reloads += 1
        self.journal.log(
            "reload",
            f"{', '.join(services)} ({why}): {', '.join(names)} reloaded in {time.monotonic() - t:.2f} s",
        )
