"""Service registry, host-built wheelhouses and Docker image builds.

Images install their Python dependencies only from ``services/<svc>/.wheelhouse/``, which this module fills on
the host (``pip download`` of the locked third-party wheels for every supported Python, plus wheels built from the
workspace's own packages). A ``docker build`` therefore needs no network, whatever base image it uses.

Usage: ``python -m localrun.images {list|wheelhouse|build} [SERVICE ...|--all] [--base IMAGE]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from localrun.instance import image_exists

PUBLIC_BASE_IMAGE = "python:3.12-slim-bookworm"
OFFLINE_BASE_IMAGE = "lambda-base:bookworm"
# The public base has Python 3.12; the offline Debian base has 3.11. The wheelhouse serves both.
PYTHON_VERSIONS = ("3.11", "3.12")
# A fixed timestamp so rebuilt local wheels are byte-identical (stable CDK asset hashes).
SOURCE_DATE_EPOCH = "1704067200"


class BuildError(RuntimeError):
    """A wheelhouse or image could not be built; the message says why and what to do."""


def repo_root() -> Path:
    env = os.environ.get("LAMBDA_REPO_ROOT")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "services").is_dir() and (parent / "cdk.json").exists():
            return parent
    return Path.cwd()


@dataclass(frozen=True)
class Service:
    name: str
    path: Path
    package: str
    handler: str
    handlers: dict[str, str]


def known_services(root: Path | None = None) -> list[str]:
    base = (root or repo_root()) / "services"
    return sorted(p.name for p in base.iterdir() if (p / "Dockerfile").is_file() and (p / "pyproject.toml").is_file())


def load_service(name: str, root: Path | None = None) -> Service:
    root = root or repo_root()
    path = root / "services" / name
    if name not in known_services(root):
        raise BuildError(f"unknown service {name!r}; known services: {', '.join(known_services(root))}")
    meta = tomllib.loads((path / "pyproject.toml").read_text())
    lam = meta.get("tool", {}).get("lambda", {})
    handler = lam.get("handler")
    if not handler:
        raise BuildError(f"{path / 'pyproject.toml'} has no [tool.lambda] handler")
    handlers = dict(lam.get("handlers") or {"handler": handler})
    return Service(name, path, meta["project"]["name"], handler, handlers)


def _run(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()[-2000:]}")
    return proc.stdout


def _platforms() -> list[str]:
    arch = "x86_64" if platform.machine().lower() in ("x86_64", "amd64") else "aarch64"
    return [f"manylinux_2_{minor}_{arch}" for minor in (36, 34, 31, 28, 17)] + [f"manylinux2014_{arch}"]


def _uv() -> str:
    uv = shutil.which("uv")
    if not uv:
        raise BuildError("uv is not on PATH; run ./test.sh or ./runlocally.sh once to bootstrap the environment")
    return uv


def build_wheelhouse(name: str, root: Path | None = None, *, force: bool = False) -> Path:
    """Fill services/<name>/.wheelhouse; skipped when the lock and sources have not changed since last time."""
    root = root or repo_root()
    svc = load_service(name, root)
    out = svc.path / ".wheelhouse"
    requirements = _run(
        [
            _uv(),
            "export",
            "--frozen",
            "--package",
            svc.package,
            "--no-dev",
            "--no-hashes",
            "--no-emit-workspace",
            "--no-header",
            "--no-annotate",
        ],
        cwd=root,
    )
    stamp = hashlib.sha256(requirements.encode())
    for src in sorted(
        [
            *(root / "libs").rglob("*.py"),
            *(root / "libs").rglob("pyproject.toml"),
            *(svc.path / "src").rglob("*.py"),
            svc.path / "pyproject.toml",
        ]
    ):
        stamp.update(str(src.relative_to(root)).encode())
        stamp.update(src.read_bytes())
    digest = stamp.hexdigest()
    if not force and (out / ".stamp").exists() and (out / ".stamp").read_text() == digest:
        return out

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    pool = wheel_pool()
    with tempfile.TemporaryDirectory() as tmp:
        req_file = Path(tmp) / "requirements.txt"
        req_file.write_text(requirements)
        for version in PYTHON_VERSIONS:
            # Offline from the shared pool first; the package index is asked only for wheels the pool lacks.
            try:
                _pip_download(req_file, version, out, find_links=pool)
            except BuildError:
                _pip_download(req_file, version, pool)
                _pip_download(req_file, version, out, find_links=pool)
    env = os.environ | {"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    # The service's own wheel and every workspace package it depends on (lambda-common today).
    for package in _workspace_dependencies(svc, root):
        _run([_uv(), "build", "--wheel", "--package", package, "--out-dir", str(out), "-q"], cwd=root, env=env)
    (out / ".stamp").write_text(digest)
    return out


def wheel_pool() -> Path:
    """Third-party wheels downloaded once and shared by every service's wheelhouse."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    pool = base / "lambda-microservices" / "wheels"
    pool.mkdir(parents=True, exist_ok=True)
    return pool


def _pip_download(requirements: Path, version: str, dest: Path, *, find_links: Path | None = None) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "-q",
        "--only-binary=:all:",
        "--python-version",
        version,
        "--implementation",
        "cp",
        "-d",
        str(dest),
        "-r",
        str(requirements),
    ]
    if find_links is not None:
        cmd += ["--no-index", "--find-links", str(find_links)]
    for plat in _platforms():
        cmd += ["--platform", plat]
    _run(cmd)


def _workspace_dependencies(svc: Service, root: Path) -> list[str]:
    members = {}
    for pyproject in [*root.glob("libs/*/pyproject.toml"), *root.glob("services/*/pyproject.toml")]:
        meta = tomllib.loads(pyproject.read_text())
        members[meta["project"]["name"]] = meta["project"].get("dependencies", [])
    wanted, todo = [], [svc.package]
    while todo:
        package = todo.pop()
        if package in wanted:
            continue
        wanted.append(package)
        for dep in members.get(package, []):
            dep_name = dep.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip()
            if dep_name in members:
                todo.append(dep_name)
    return wanted


def local_base_image() -> str:
    """The base to build on without pulling: $BASE_IMAGE, else the public image if present, else the offline base."""
    return os.environ.get("BASE_IMAGE") or (
        PUBLIC_BASE_IMAGE if image_exists(PUBLIC_BASE_IMAGE) else OFFLINE_BASE_IMAGE
    )


def resolve_base_image(requested: str | None = None, *, log: bool = True) -> str:
    """The base image to build on: ``requested`` (or $BASE_IMAGE) if given; else the public Python image when it
    is present or can be pulled; else the offline Debian base, built with docker/build-base-image.sh if missing."""
    requested = requested or os.environ.get("BASE_IMAGE")
    if requested:
        if requested == OFFLINE_BASE_IMAGE and not image_exists(requested):
            _build_offline_base()
        return requested
    if image_exists(PUBLIC_BASE_IMAGE):
        return PUBLIC_BASE_IMAGE
    if subprocess.run(["docker", "pull", "-q", PUBLIC_BASE_IMAGE], capture_output=True, timeout=300).returncode == 0:
        return PUBLIC_BASE_IMAGE
    if log:
        print(
            f"no registry reachable for {PUBLIC_BASE_IMAGE}: using the offline base {OFFLINE_BASE_IMAGE}",
            file=sys.stderr,
        )
    if not image_exists(OFFLINE_BASE_IMAGE):
        _build_offline_base()
    return OFFLINE_BASE_IMAGE


def _build_offline_base() -> None:
    script = repo_root() / "docker" / "build-base-image.sh"
    proc = subprocess.run([str(script), OFFLINE_BASE_IMAGE])
    if proc.returncode != 0:
        raise BuildError(f"{script} failed; see its output above")


def build_image(name: str, base_image: str, root: Path | None = None, *, tag: str | None = None) -> str:
    """Build services/<name>'s image on ``base_image``; returns the tag (the service name by default)."""
    root = root or repo_root()
    svc = load_service(name, root)
    build_wheelhouse(name, root)
    tag = tag or svc.name
    proc = subprocess.run(
        [
            "docker",
            "build",
            "-q",
            "-t",
            tag,
            "--build-arg",
            f"BASE_IMAGE={base_image}",
            "--label",
            f"io.lambda-microservices.base={base_image}",
            str(svc.path),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise BuildError(f"docker build of {name} failed:\n{proc.stderr.strip()[-3000:]}")
    return tag


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localrun.images", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("list", "wheelhouse", "build"))
    parser.add_argument("services", nargs="*")
    parser.add_argument("--all", action="store_true", help="every service under services/")
    parser.add_argument(
        "--base",
        help=f"base image (default: $BASE_IMAGE, else {PUBLIC_BASE_IMAGE}, else the offline {OFFLINE_BASE_IMAGE})",
    )
    parser.add_argument("--force", action="store_true", help="rebuild wheelhouses even when up to date")
    args = parser.parse_args(argv)
    try:
        names = known_services() if args.all or not args.services else args.services
        if args.action == "list":
            print("\n".join(names))
            return 0
        base = resolve_base_image(args.base) if args.action == "build" else ""
        for name in names:
            started = time.monotonic()
            if args.action == "wheelhouse":
                path = build_wheelhouse(name, force=args.force)
                print(f"{name}: wheelhouse {path} ({time.monotonic() - started:.1f} s)")
            else:
                if args.force:
                    build_wheelhouse(name, force=True)
                tag = build_image(name, base)
                print(f"{name}: image {tag} on {base} ({time.monotonic() - started:.1f} s)")
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
