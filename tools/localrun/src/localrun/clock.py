"""One scheduler for every AWS delay, scaled by ``--time-scale``."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


class Clock:
    """Scales AWS durations: ``scaled(60)`` is 0.6 s with ``scale=0.01``."""

    def __init__(self, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError("--time-scale must be > 0")
        self.scale = scale

    def scaled(self, aws_seconds: float) -> float:
        return aws_seconds * self.scale

    def now(self) -> float:
        return time.time()

    def aws_elapsed(self, since: float) -> float:
        """Seconds elapsed since ``since``, in AWS time (real time divided by the scale)."""
        return (time.time() - since) / self.scale


class Scheduler:
    """Runs callbacks after a delay on a worker pool; one thread keeps the timers."""

    def __init__(self, workers: int = 64) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._cv = threading.Condition()
        self._stopped = False
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="localrun-work")
        self._thread = threading.Thread(target=self._run, name="localrun-timer", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], None]) -> None:
        if not self._stopped:
            self._pool.submit(fn)

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> None:
        if delay_s <= 0:
            self.submit(fn)
            return
        with self._cv:
            heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._counter), fn))
            self._cv.notify()

    def pending(self) -> int:
        with self._cv:
            return len(self._heap)

    def _run(self) -> None:
        with self._cv:
            while not self._stopped:
                if not self._heap:
                    self._cv.wait()
                    continue
                due = self._heap[0][0] - time.monotonic()
                if due > 0:
                    self._cv.wait(due)
                    continue
                _, _, fn = heapq.heappop(self._heap)
                self._pool.submit(fn)

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._heap.clear()
            self._cv.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)
