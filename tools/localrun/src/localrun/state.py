"""Local state that survives a restart or a crash: snapshots of moto's backends, taken in the runner's process.

moto keeps everything in memory and has no persistence of its own. Two designs were possible:

* replaying the AWS APIs (scan every table, list and get every object, receive every message ...): each
  service needs its own dump and load, receiving a message changes it (receive count, visibility), and what the
  APIs do not show (a message's receive count, a queue's redrive bookkeeping, archived events) is lost;
* pickling moto's backend objects, the same objects the APIs read and write: one mechanism for every service,
  exact (messages keep their receive counts and visibility deadlines, tables their items, buckets their objects,
  buses their rules and archives, topics their subscriptions), and fast (milliseconds for a developer's data).
  Its cost is a dependence on moto's internals, which the pinned moto and a test (tests/unit/localrun/
  test_state.py) keep honest; the snapshot names the moto version and one from another version is not loaded.

This module takes the second. moto's objects hold locks, which pickle cannot copy: they are saved as fresh locks.
A snapshot is taken at most once a second after a request that may have changed something (anything but GET and
HEAD), and once more when moto stops; it is written to a temporary file and renamed, so a crash leaves the
previous snapshot whole. What a crash can lose is the last second. Pickling holds the interpreter, which moto
shares with the runner: when a snapshot takes long (a large table), the next waits ten times as long, so saving
never takes more than a tenth of the runner's time.
"""

from __future__ import annotations

import base64
import io
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# cognito-idp too: a restart must not sign every local user out (a new pool would have a new issuer).
PERSISTED_SERVICES = ("dynamodb", "s3", "sqs", "sns", "events", "cognito-idp")
SNAPSHOT = "moto.pickle"
PENDING_ASYNC = "async-pending.json"
_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())


class _Pickler(pickle.Pickler):
    """Locks and conditions are saved as new, unlocked ones (nothing holds them in a fresh process); a user pool's
    signing key (a joserfc key around a cryptography object, which does not pickle) as its JWK dict."""

    def reducer_override(self, obj: Any) -> Any:
        from joserfc.jwk import RSAKey

        if isinstance(obj, RSAKey):
            return RSAKey.import_key, (obj.as_dict(private=True),)
        if isinstance(obj, _LOCK):
            return threading.Lock, ()
        if isinstance(obj, _RLOCK):
            return threading.RLock, ()
        if isinstance(obj, threading.Condition):
            return threading.Condition, ()
        if isinstance(obj, threading.Event):
            return threading.Event, ()
        return NotImplemented


def _moto_version() -> str:
    import moto

    return str(moto.__version__)


def dump_backends() -> bytes:
    from moto.backends import get_backend

    backends = {name: dict(get_backend(name)) for name in PERSISTED_SERVICES}  # type: ignore[call-overload]
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump({"moto": _moto_version(), "backends": backends})
    return buf.getvalue()


def load_backends(data: bytes) -> str | None:
    """Put a snapshot's backends in place; returns why it was not loaded, or None."""
    from moto.backends import get_backend

    doc = pickle.loads(data)  # noqa: S301 - our own file, written by dump_backends in this project's state dir
    if doc.get("moto") != _moto_version():
        return f"snapshot of moto {doc.get('moto')}, this is moto {_moto_version()}"
    for name, accounts in doc["backends"].items():
        get_backend(name).update(accounts)
    return None


class Snapshotter:
    """Saves moto's backends to ``state_dir`` after changes (at most once per ``interval_s``) and on ``stop``."""

    def __init__(self, state_dir: Path, interval_s: float = 1.0, say: Callable[[str], None] | None = None) -> None:
        self.path = state_dir / SNAPSHOT
        self.interval_s = interval_s
        self._say = say or (lambda text: sys.stderr.write(f"localrun.state: {text}\n"))
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._save_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="localrun-state", daemon=True)
        self._last_save_s = 0.0
        self.saves = 0

    def restore(self) -> str:
        """Load the last snapshot, if any; says what happened."""
        if not self.path.is_file():
            return f"no saved state in {self.path.parent}: starting empty"
        try:
            why_not = load_backends(self.path.read_bytes())
        except Exception as exc:  # a snapshot we cannot read must not stop the start; keep it for a look
            why_not = f"unreadable ({exc!r})"
        if why_not:
            kept = self.path.with_suffix(".unloaded")
            os.replace(self.path, kept)
            return f"saved state not loaded: {why_not}; kept as {kept}, starting empty"
        return f"state restored from {self.path.parent}"

    def changed(self) -> None:
        self._dirty.set()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(max(self.interval_s, 10 * self._last_save_s)):
            if self._dirty.is_set():
                self.save()

    def save(self) -> None:
        started = time.monotonic()
        with self._save_lock:
            self._dirty.clear()
            for _ in range(5):  # a request may change a dict while it is pickled: try again
                try:
                    data = dump_backends()
                    break
                except RuntimeError:
                    continue
            else:
                self._dirty.set()
                self._say("could not take a consistent snapshot; will retry")
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".part")
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            self.saves += 1
        self._last_save_s = time.monotonic() - started

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.save()


class WatchedApp:
    """moto's WSGI app, marking the state changed on every request that may change it."""

    def __init__(self, app: WSGIApplication, snapshotter: Snapshotter) -> None:
        self.app = app
        self.snapshotter = snapshotter

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            self.snapshotter.changed()
        return self.app(environ, start_response)


# -- async invocations pending at a stop (the runner's, not moto's) ---------------------------------------------
class PendingAsync(BaseModel):
    """An async invocation queued or waiting for a retry when the runner stopped."""

    function: str
    payload_b64: str
    request_id: str
    corr: str
    age_s: float  # AWS seconds since it was queued, at the stop
    attempts: int

    @property
    def payload(self) -> bytes:
        return base64.b64decode(self.payload_b64)


class PendingAsyncFile(BaseModel):
    invocations: list[PendingAsync]


def write_pending(path: Path, invocations: list[PendingAsync]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_text(PendingAsyncFile(invocations=invocations).model_dump_json(indent=1))
    os.replace(tmp, path)


def take_pending(path: Path) -> list[PendingAsync]:
    """Read and remove the saved invocations (each is resumed once)."""
    if not path.is_file():
        return []
    pending = PendingAsyncFile.model_validate_json(path.read_text()).invocations
    path.unlink()
    return pending
