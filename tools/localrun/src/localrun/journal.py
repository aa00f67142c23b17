"""The readable log: one line per invocation and per event hop, each with a correlation id."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, TextIO

# Fields kept for the console's traces (localrun.traces), not printed: an invocation's input, output and logs.
DETAIL_FIELDS = frozenset({"input", "output", "logs"})
Listener = Callable[[Mapping[str, Any]], None]


class Journal:
    """Writes ``HH:MM:SS.mmm  corr  kind  text`` lines, keeps the last entries and hands each to its listeners."""

    def __init__(self, stream: TextIO | None = None, keep: int = 2000, as_json: bool = False) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._as_json = as_json
        self.entries: deque[dict[str, Any]] = deque(maxlen=keep)
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def log(self, kind: str, text: str, corr: str = "-", **fields: Any) -> None:
        now = time.time()
        entry = {"time": now, "corr": corr, "kind": kind, "text": text, **fields}
        stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
        printed = {k: v for k, v in entry.items() if k not in DETAIL_FIELDS}
        line = json.dumps(printed, default=str) if self._as_json else f"{stamp}  {corr[:8]:8}  {kind:<10} {text}"
        for listener in self._listeners:
            listener(entry)
        with self._lock:
            self.entries.append(printed)
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (ValueError, OSError):  # stream closed at shutdown
                pass
