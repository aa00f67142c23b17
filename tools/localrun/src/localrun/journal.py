"""The readable log: one line per invocation and per event hop, each with a correlation id."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from typing import Any, TextIO


class Journal:
    """Writes ``HH:MM:SS.mmm  corr  kind  text`` lines and keeps the last entries (for a future event console)."""

    def __init__(self, stream: TextIO | None = None, keep: int = 2000, as_json: bool = False) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._as_json = as_json
        self.entries: deque[dict[str, Any]] = deque(maxlen=keep)

    def log(self, kind: str, text: str, corr: str = "-", **fields: Any) -> None:
        now = time.time()
        entry = {"time": now, "corr": corr, "kind": kind, "text": text, **fields}
        stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
        line = json.dumps(entry, default=str) if self._as_json else f"{stamp}  {corr[:8]:8}  {kind:<10} {text}"
        with self._lock:
            self.entries.append(entry)
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (ValueError, OSError):  # stream closed at shutdown
                pass
