"""moto inside the runner's process: the AWS API backend behind the local endpoint (:4566), called without HTTP.

The endpoint hands each call to moto's WSGI application as a function call (:meth:`MotoBackend.answer`), so an AWS
call crosses one HTTP exchange (client -> :4566), as with any single-process emulator. moto's app is also served on
a loopback port of its own for the runner's :class:`localrun.aws.BackendClients` (pollers, destinations, the
console), which must reach moto without the endpoint's rewriting.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from moto.core.request import PRESERVED_HEADER_NAMES_ENVIRON_KEY, should_preserve_original_header_name

from localrun.httpserve import Answer
from localrun.motohttp import InAccount, call_wsgi, moto_app, moto_http_server
from localrun.motoserver import apply_patches, revert_patches

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from localrun.state import Snapshotter


class MotoBackend:
    """moto's app with the runner's patches, answering calls in this process and on ``http://host:port``."""

    def __init__(self, account_id: str, host: str = "127.0.0.1", port: int = 0, state_dir: str | None = None) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log; the journal says what matters
        apply_patches(self)  # reverted at stop(): moto is this process's, which may go on using it (tests)
        app: WSGIApplication = InAccount(moto_app(), account_id)
        self._snapshotter: Snapshotter | None = None
        if state_dir:
            from localrun.state import Snapshotter, WatchedApp

            self._snapshotter = Snapshotter(Path(state_dir))
            app = WatchedApp(app, self._snapshotter)
        self.app = app
        self._server = moto_http_server(host, port, app)
        self.host, self.port = host, self._server.server_port
        if self._snapshotter is not None:
            sys.stderr.write(f"localrun: {self._snapshotter.restore()}\n")
            self._snapshotter.start()
        else:
            # moto's state is this process's: a runner started after another in one process (tests) starts empty.
            self.answer("POST", "/moto-api/reset", [], b"")
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def answer(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        """moto's answer to one request, as its HTTP server would give it (framing headers are the caller's)."""
        environ = wsgi_environ(method, path, headers, body, (self.host, self.port))
        return call_wsgi(self.app, environ)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._snapshotter is not None:
            self._snapshotter.stop()  # the last changes, after the last request
        revert_patches(self)


def wsgi_environ(
    method: str, path: str, headers: list[tuple[str, str]], body: bytes, server: tuple[str, int]
) -> dict[str, object]:
    """The environ werkzeug's server (with moto's handler) builds for this request, the body already read whole."""
    url = urlsplit(path)
    raw_uri = path.encode().decode("latin-1")  # werkzeug's "WSGI encoding dance": UTF-8 bytes as latin-1
    environ: dict[str, object] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(url.path).encode().decode("latin-1"),
        "QUERY_STRING": url.query.encode().decode("latin-1"),
        "REQUEST_URI": raw_uri,
        "RAW_URI": raw_uri,
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
    }
    names: dict[str, str] = {}
    preserved: dict[str, list[str]] = {}
    dashed: set[str] = set()
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if "_" in name:
            # werkzeug drops a header with an underscore (it cannot be told from a dashed one); moto keeps S3
            # metadata headers under their own spelling.
            if should_preserve_original_header_name(name):
                names.setdefault(f"HTTP_{key}", name)
                preserved.setdefault(f"HTTP_{key}", []).append(value.replace("\r\n", ""))
            continue
        value = value.replace("\r\n", "")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if key == "CONTENT_TYPE":
                environ[key] = value
            continue
        key = f"HTTP_{key}"
        dashed.add(key)
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    for key, values in preserved.items():
        if key not in dashed:  # never let an underscored header stand in for a dashed one
            environ[key] = ",".join(values)
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {k: v for k, v in names.items() if k not in dashed}
    return environ
