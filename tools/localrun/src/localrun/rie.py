"""Provision the Lambda Runtime Interface Emulator (RIE) binary.

Sources, tried in order:
1. ``$RIE_PATH``;
2. a cached copy (``$XDG_CACHE_HOME/lambda-microservices/rie/``, default ``~/.cache/...``);
3. the official GitHub release download;
4. the copy that ships inside the ``aws-sam-cli`` wheel on PyPI (``samcli/local/rapid/aws-lambda-rie-<arch>``),
   fetched with ``pip download --no-deps`` — works where only a package index is reachable.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

# The aws-sam-cli release whose wheel carries the RIE we tested against.
SAM_CLI_VERSION = "1.170.0"
RELEASE_URL = "https://github.com/aws/aws-lambda-runtime-interface-emulator/releases/latest/download/{asset}"


class RieUnavailableError(RuntimeError):
    """No source could provide the RIE binary."""


def _arch() -> str:
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "x86_64"
    if machine in ("aarch64", "arm64"):
        return "arm64"
    raise RieUnavailableError(f"no RIE build exists for this CPU architecture ({machine})")


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lambda-microservices" / "rie"


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _install(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".part")
    shutil.copyfile(src, tmp)
    tmp.chmod(0o755)
    tmp.replace(dest)  # atomic, so a concurrent reader never sees half a binary
    return dest


def _from_release(arch: str, dest: Path, timeout_s: float) -> Path:
    asset = "aws-lambda-rie" if arch == "x86_64" else "aws-lambda-rie-arm64"
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / asset
        with urllib.request.urlopen(RELEASE_URL.format(asset=asset), timeout=timeout_s) as resp:  # noqa: S310
            target.write_bytes(resp.read())
        if target.stat().st_size < 1_000_000:  # an error page, not a binary
            raise OSError("release download returned no binary")
        return _install(target, dest)


def _from_sam_cli_wheel(arch: str, dest: Path) -> Path:
    member = f"samcli/local/rapid/aws-lambda-rie-{arch}"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "-q",
            "-d",
            tmp,
            f"aws-sam-cli=={SAM_CLI_VERSION}",
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)
        wheel = next(Path(tmp).glob("aws_sam_cli-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            extracted = Path(zf.extract(member, tmp))
        return _install(extracted, dest)


def ensure_rie(*, allow_download: bool = True, download_timeout_s: float = 5.0) -> Path:
    """Return the path of an executable RIE binary, provisioning it on first use."""
    explicit = os.environ.get("RIE_PATH")
    if explicit:
        path = Path(explicit)
        if not _is_executable(path):
            raise RieUnavailableError(f"RIE_PATH={explicit} is not an executable file")
        return path

    arch = _arch()
    cached = cache_dir() / f"aws-lambda-rie-{arch}"
    if _is_executable(cached):
        return cached

    failures: list[str] = []
    if allow_download:
        try:
            return _from_release(arch, cached, download_timeout_s)
        except Exception as exc:  # noqa: BLE001 - any failure means: try the next source
            failures.append(f"release download: {exc}")
        try:
            return _from_sam_cli_wheel(arch, cached)
        except Exception as exc:  # noqa: BLE001
            detail = (
                exc.stderr.decode(errors="replace").strip()[-300:] if hasattr(exc, "stderr") and exc.stderr else exc
            )
            failures.append(f"aws-sam-cli wheel: {detail}")
    raise RieUnavailableError(
        "could not provision the Lambda Runtime Interface Emulator.\n"
        + "".join(f"  - {f}\n" for f in failures)
        + "Fix one of these:\n"
        f"  * download aws-lambda-rie{'' if arch == 'x86_64' else '-arm64'} from the GitHub releases of"
        " aws-lambda-runtime-interface-emulator and set RIE_PATH=/path/to/it\n"
        f"  * or make PyPI reachable (pip download aws-sam-cli=={SAM_CLI_VERSION}) and run again\n"
        f"  * or copy the binary to {cached}"
    )


def main() -> None:
    try:
        print(ensure_rie())  # noqa: T201
    except RieUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        sys.exit(2)


if __name__ == "__main__":
    main()
