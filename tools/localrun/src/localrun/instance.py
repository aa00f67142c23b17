"""One function instance: an RIE serving one handler, as a Docker container or as a local process.

RIE handles one invocation at a time, so callers (the single-service runner, the topology runner's pools) never
send a second invoke to an instance that has one in flight. Each instance gets its own emulator and Runtime API
ports, because instances share the host network.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from localrun.httpserve import KeptConnection
from localrun.model import DUMMY_CREDENTIALS_ENV, REGION
from localrun.rie import ensure_rie
from localrun.runtimeproxy import RuntimeApiProxy

INVOKE_PATH = "/2015-03-31/functions/function/invocations"
CONTAINER_RIE_PATH = "/usr/local/bin/aws-lambda-rie"
CONTAINER_LABEL = "io.lambda-microservices.localrun"

# A single-service run may talk to a real account: it passes the caller's AWS settings through. A topology run
# (``endpoint`` set) never does: its functions reach the local endpoint with dummy credentials.
_PASSTHROUGH = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
)


@dataclass(frozen=True)
class FunctionSpec:
    """What an instance runs: a handler of a service, with its environment and limits."""

    name: str
    service: str
    handler: str
    env: Mapping[str, str] = field(default_factory=dict)
    timeout_s: int = 30
    memory_mb: int = 512
    image: str | None = None  # docker mode: image tag; defaults to the service name
    endpoint: str | None = None  # the local AWS endpoint the function's SDK calls (AWS_ENDPOINT_URL)
    # docker mode, hot reload: (host source dir, path in the image) mounted read-only over the installed package
    mounts: tuple[tuple[str, str], ...] = ()

    def lambda_env(self) -> dict[str, str]:
        """The one place a function's environment is built: what Lambda sets, then the function's own."""
        if self.endpoint:
            env = {"AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": REGION, **DUMMY_CREDENTIALS_ENV}
        else:
            env = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
            for key, value in DUMMY_CREDENTIALS_ENV.items():
                env.setdefault(key, value)
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or REGION
        env |= {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(self.timeout_s),
            "POWERTOOLS_SERVICE_NAME": self.service,
        }
        env |= dict(self.env)
        return env


@dataclass(frozen=True)
class InvokeResult:
    """The outcome of one invoke. ``ok`` is False for function errors (unhandled exception, timeout)."""

    ok: bool
    body: bytes
    error_type: str | None
    error_message: str | None
    duration_ms: float
    logs: tuple[str, ...] = ()  # the lines the function (and Lambda's START/END/REPORT) printed for this invoke

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class InstanceError(RuntimeError):
    """The instance could not be started, or stopped answering (not a function error)."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def docker_available() -> bool:
    """True when a Docker engine answers (not merely when the client is installed)."""
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def image_exists(tag: str) -> bool:
    """True when the local engine has an image tagged ``tag`` (never pulls)."""
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True, timeout=60).returncode == 0


def _parse_error(body: bytes, function_error_header: str | None) -> tuple[str | None, str | None]:
    """RIE answers function errors with HTTP 200 and an ``errorType``/``errorMessage`` document.

    Some RIE builds add ``X-Amz-Function-Error``; the one in aws-sam-cli 1.170 does not, so the body decides.
    """
    if body.startswith(b"Task timed out"):  # RIE's timeout answer: HTTP 200, plain text, no header
        return "Sandbox.Timedout", body.decode(errors="replace").strip()
    try:
        doc = json.loads(body) if body else None
    except ValueError:
        doc = None
    if isinstance(doc, dict) and "errorMessage" in doc and ("errorType" in doc or function_error_header):
        return str(doc.get("errorType") or function_error_header or "Error"), str(doc["errorMessage"])
    if function_error_header:
        return function_error_header, body.decode(errors="replace")[:1000]
    return None, None


class RieInstance:
    """A running RIE with one handler. Use ``invoke`` for one request at a time; ``stop`` when done."""

    def __init__(
        self,
        spec: FunctionSpec,
        mode: str,
        host: str,
        port: int,
        proc: subprocess.Popen[bytes],
        container: str | None,
        proxy: RuntimeApiProxy | None = None,
        tap: LogTap | None = None,
    ) -> None:
        self.spec = spec
        self._proxy = proxy
        self._tap = tap
        self.mode = mode
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}{INVOKE_PATH}"
        self.container = container
        self.invocations = 0
        self._proc = proc
        self._rie = KeptConnection(host, port)

    def alive(self) -> bool:
        return self._proc.poll() is None

    def invoke(self, payload: bytes, timeout_s: float | None = None, trace_header: str | None = None) -> InvokeResult:
        """Send one event; wait for the result. Raises InstanceError when the instance itself fails.

        ``trace_header`` (X-Amzn-Trace-Id) reaches the function's runtime as Lambda's would."""
        if self._proxy is not None:
            self._proxy.trace_header = trace_header
        if self._tap is not None:
            self._tap.begin()
        # RIE enforces the function timeout itself; allow a margin for the cold start on the first invoke.
        limit = timeout_s if timeout_s is not None else self.spec.timeout_s + 30
        started = time.perf_counter()
        try:
            # On the instance's connection to its RIE, kept open between its invocations (a new TCP connection each
            # was ~0.3 ms of every invoke). Never retried: the RIE may have taken the event.
            status, headers, body = self._rie.exchange(
                "POST", INVOKE_PATH, [("Content-Type", "application/json")], payload, timeout=limit
            )
        except (OSError, http.client.HTTPException) as exc:
            raise InstanceError(f"{self.spec.name}: instance on port {self.port} failed: {exc}") from exc
        self.invocations += 1
        duration = (time.perf_counter() - started) * 1000
        if status >= 500 or (status >= 400 and not body):
            raise InstanceError(f"{self.spec.name}: RIE answered HTTP {status}: {body[:300]!r}")
        function_error = next((v for k, v in headers if k.lower() == "x-amz-function-error"), None)
        error_type, error_message = _parse_error(body, function_error)
        logs = self._tap.end() if self._tap is not None else ()
        return InvokeResult(error_type is None, body, error_type, error_message, duration, logs)

    def stop(self, timeout_s: float = 10) -> None:
        self._rie.close()
        if self._proxy is not None:
            self._proxy.stop()
        if self.container:
            subprocess.run(["docker", "rm", "-f", self.container], capture_output=True, timeout=60)
        if self._proc.poll() is None:
            # The instance runs in its own session: signal the whole group so the runtime child goes too.
            self._signal_group(signal.SIGTERM)
            try:
                self._proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self._proc.wait(timeout=timeout_s)
        elif self.mode == "process":
            self._signal_group(signal.SIGKILL)  # RIE gone: make sure no orphaned runtime is left

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self._proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> RieInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait_listening(host: str, port: int, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise InstanceError(f"RIE exited with status {proc.returncode} before listening on {host}:{port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise InstanceError(f"RIE did not listen on {host}:{port} within {timeout_s:.0f} s")


class LogTap:
    """Reads an instance's output, passes every line on (to ``sink``, default stdout) and keeps the lines printed
    during the invocation in flight (an instance runs one at a time) for the console's traces."""

    MAX_LINES = 200
    MAX_CHARS = 2000
    END_WAIT_S = 0.2  # Lambda's END/REPORT lines may trail the response a little

    def __init__(self, stream: IO[bytes], sink: int | IO[Any] | None) -> None:
        self._sink = sink
        self._lock = threading.Lock()
        self._lines: list[str] | None = None
        self._ended = threading.Event()
        threading.Thread(target=self._pump, args=(stream,), name="instance-output", daemon=True).start()

    def _pump(self, stream: IO[bytes]) -> None:
        for raw in stream:
            line = raw.decode(errors="replace")
            self._pass_on(line)
            with self._lock:
                if self._lines is not None and len(self._lines) < self.MAX_LINES:
                    self._lines.append(line.rstrip("\n")[: self.MAX_CHARS])
                if line.startswith(("END RequestId", "REPORT RequestId")):
                    self._ended.set()

    def _pass_on(self, line: str) -> None:
        sink = self._sink
        if isinstance(sink, int):  # subprocess.DEVNULL
            return
        try:
            (sink or sys.stdout).write(line)
            (sink or sys.stdout).flush()
        except (ValueError, OSError):  # closed at shutdown
            pass

    def begin(self) -> None:
        with self._lock:
            self._lines = []
            self._ended.clear()

    def end(self) -> tuple[str, ...]:
        self._ended.wait(self.END_WAIT_S)
        with self._lock:
            lines, self._lines = self._lines or [], None
        return tuple(lines)


def start_instance(
    spec: FunctionSpec,
    mode: str,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    output: int | IO[Any] | None = None,
    python: str | None = None,
    ready_timeout_s: float = 60,
) -> RieInstance:
    """Start an RIE for ``spec`` in ``mode`` ("docker" or "process") and wait until it accepts invokes.

    ``output`` receives the RIE's and the function's stdout/stderr (default: inherited).
    Initialisation is lazy, as on Lambda: the handler's module is imported on the first invoke.
    """
    rie = ensure_rie()
    port = port or free_port(host)
    api_port = free_port(host)
    # "error" keeps Lambda's START/END/REPORT lines and the function's output, not RIE's own chatter.
    rie_args = [
        "--log-level",
        os.environ.get("RIE_LOG_LEVEL", "error"),
        "--runtime-interface-emulator-address",
        f"{host}:{port}",
        "--runtime-api-address",
        f"{host}:{api_port}",
    ]
    env = spec.lambda_env()
    container: str | None = None
    # The runtime reaches the RIE through the trace proxy (localrun.runtimeproxy); `env` overrides the address the
    # RIE gives its child.
    proxy = RuntimeApiProxy((host, api_port), host)
    via_proxy = ["env", f"AWS_LAMBDA_RUNTIME_API={proxy.address}"]
    if mode == "process":
        cmd = [str(rie), *rie_args, *via_proxy, python or sys.executable, "-m", "awslambdaric", spec.handler]
        # Functions keep bytecode, as on Lambda (images are built with .pyc); a developer shell's
        # PYTHONDONTWRITEBYTECODE would make every cold start recompile its imports.
        proc_env = {
            k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"
        } | env
        proc = subprocess.Popen(
            cmd,
            env=proc_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    elif mode == "docker":
        image = spec.image or spec.service
        if not image_exists(image):
            raise InstanceError(
                f"image {image!r} not found; build it with: python -m localrun.images build {spec.service}"
            )
        container = f"localrun-{spec.name.lower()[:40]}-{uuid.uuid4().hex[:8]}"
        cmd = [
            "docker",
            "run",
            "--rm",
            "--name",
            container,
            "--network",
            "host",
            "--label",
            f"{CONTAINER_LABEL}={os.getpid()}",
            "-v",
            f"{Path(rie).resolve()}:{CONTAINER_RIE_PATH}:ro",
            "--entrypoint",
            CONTAINER_RIE_PATH,
        ]
        for host_dir, image_dir in spec.mounts:
            cmd += ["-v", f"{host_dir}:{image_dir}:ro"]
        for key, value in env.items():
            cmd += ["-e", f"{key}={value}"]
        cmd += [image, *rie_args, *via_proxy, "python3", "-m", "awslambdaric", spec.handler]
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    else:
        proxy.stop()
        raise ValueError(f"unknown mode {mode!r}: use 'docker' or 'process'")
    assert proc.stdout is not None
    instance = RieInstance(spec, mode, host, port, proc, container, proxy, LogTap(proc.stdout, output))
    try:
        _wait_listening(host, port, proc, ready_timeout_s)
    except InstanceError:
        instance.stop()
        raise
    return instance


def stop_leftover_containers(owner_pid: int | None = None) -> int:
    """Remove containers a runner started (all of them, or one owner's). Returns how many were removed."""
    label = CONTAINER_LABEL if owner_pid is None else f"{CONTAINER_LABEL}={owner_pid}"
    found = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={label}"], capture_output=True, text=True)
    ids = found.stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True)
    return len(ids)
