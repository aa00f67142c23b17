"""The console's HTTP server: uvicorn in a thread of the runner, bound to loopback only."""

from __future__ import annotations

import threading
import time

import uvicorn

from localrun.console.app import ConsoleContext, create_app


class ConsoleServer:
    def __init__(self, ctx: ConsoleContext, port: int, host: str = "127.0.0.1") -> None:
        # Open event streams must not hold up a stop: they are closed after a short grace.
        config = uvicorn.Config(
            create_app(ctx), host=host, port=port, log_level="warning", lifespan="off", timeout_graceful_shutdown=2
        )
        self.server = uvicorn.Server(config)
        self.url = f"http://{host}:{port}/"
        self._thread = threading.Thread(target=self.server.run, name="console", daemon=True)

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self.server.started:
            raise RuntimeError(f"the console did not start on {self.url} (port in use?)")

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(5.0)
