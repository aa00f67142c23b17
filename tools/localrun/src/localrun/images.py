"""Service registry, the wheelhouse, and Docker image builds: from the repository, or from the cloud assembly's
image assets exactly as `cdk deploy` builds them.

Every image builds from the repository root with its service's Dockerfile (``docker build -f
services/<svc>/Dockerfile .``), which installs what uv.lock pins (docker/install-service.sh). ``.wheelhouse/``
(filled here: ``pip download`` of those wheels for every supported Python, and uv's) lets that build run with no
package index; the local runner and the tests build the assembly's assets (``cdk.out/*.assets.json``: staged
context, Dockerfile, build arguments, platform), so what runs locally is what `cdk deploy` would push.

Usage: ``python -m localrun.images {list|wheelhouse|build|assets|base} [SERVICE ...|--all] [--base IMAGE]
[--cdk-out DIR]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
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
INSTALL_SCRIPT = "docker/install-service.sh"


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
    bootstrapped = repo_root() / ".tools" / "bin" / "uv"  # where scripts/bootstrap.sh puts it
    uv = shutil.which("uv") or (str(bootstrapped) if bootstrapped.is_file() else None)
    if not uv:
        raise BuildError("uv is not on PATH; run ./test.sh or ./runlocally.sh once to bootstrap the environment")
    return uv


def uv_version(root: Path | None = None) -> str:
    """The uv version the image builds use to read uv.lock (pinned in docker/install-service.sh)."""
    script = (root or repo_root()) / INSTALL_SCRIPT
    found = re.search(r"^uv_version=(\S+)$", script.read_text(), re.MULTILINE)
    if not found:
        raise BuildError(f"{script} does not pin uv_version")
    return found.group(1)


def wheelhouse_dir(root: Path | None = None) -> Path:
    return (root or repo_root()) / ".wheelhouse"


def build_wheelhouse(names: list[str], root: Path | None = None, *, force: bool = False) -> Path:
    """Fill the repository's .wheelhouse/ with every wheel the images of ``names`` install (as uv.lock pins them, for
    each supported Python) and uv's own wheel, so their `docker build` needs no package index. Skipped per service
    when its locked requirements have not changed since last time."""
    root = root or repo_root()
    out = wheelhouse_dir(root)
    out.mkdir(exist_ok=True)
    pool = wheel_pool()
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            svc = load_service(name, root)
            requirements = _locked_requirements(svc, root)
            digest = hashlib.sha256(f"{requirements}\nuv=={uv_version(root)}".encode()).hexdigest()
            stamp = out / f".stamp-{name}"
            if not force and stamp.exists() and stamp.read_text() == digest:
                continue
            req_file = Path(tmp) / f"{name}.txt"
            req_file.write_text(f"{requirements}\nuv=={uv_version(root)}\n")
            for version in PYTHON_VERSIONS:
                # Offline from the shared pool first; the package index is asked only for wheels the pool lacks.
                try:
                    _pip_download(req_file, version, out, find_links=pool)
                except BuildError:
                    _pip_download(req_file, version, pool)
                    _pip_download(req_file, version, out, find_links=pool)
            stamp.write_text(digest)
    return out


def _locked_requirements(svc: Service, root: Path) -> str:
    """The third-party requirements uv.lock pins for ``svc`` (what docker/install-service.sh installs)."""
    return _run(
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


def docker_build_command(name: str, base_image: str, tag: str, root: Path | None = None) -> list[str]:
    """`docker build` of a service from the repository root, as the README gives it."""
    root = root or repo_root()
    return [
        "docker",
        "build",
        "-q",
        "-f",
        f"services/{name}/Dockerfile",
        "-t",
        tag,
        "--build-arg",
        f"BASE_IMAGE={base_image}",
        str(root),
    ]


def build_image(name: str, base_image: str, root: Path | None = None, *, tag: str | None = None) -> str:
    """Build services/<name>'s image on ``base_image`` (wheelhouse first, so no index is needed); returns the tag."""
    root = root or repo_root()
    load_service(name, root)
    build_wheelhouse([name], root)
    tag = tag or name
    _docker(docker_build_command(name, base_image, tag, root), f"docker build of {name}")
    return tag


@dataclass(frozen=True)
class ImageAsset:
    """A Docker image asset of the cloud assembly, as `cdk deploy` builds it (cdk-assets)."""

    hash: str
    directory: Path  # the staged build context in cdk.out
    dockerfile: str  # relative to ``directory``
    build_args: dict[str, str]
    platform: str | None

    @property
    def service(self) -> str:
        """services/<svc>/Dockerfile -> <svc>."""
        parts = Path(self.dockerfile).parts
        if len(parts) != 3 or parts[0] != "services":
            raise BuildError(f"asset {self.hash}: {self.dockerfile} is not a service Dockerfile")
        return parts[1]

    @property
    def local_tag(self) -> str:
        return f"cdkasset-{self.hash.lower()}"

    def build_command(self) -> list[str]:
        """The command cdk-assets runs for this asset, in ``directory`` (it then tags and pushes the result)."""
        cmd = ["docker", "build"]
        for key, value in self.build_args.items():
            cmd += ["--build-arg", f"{key}={value}"]
        cmd += ["--tag", self.local_tag, "--file", self.dockerfile]
        if self.platform:
            cmd += ["--platform", self.platform]
        return [*cmd, "."]


def read_image_assets(cdk_out: Path) -> list[ImageAsset]:
    """Every Docker image asset in the assembly's asset manifests (``*.assets.json``), once each."""
    found: dict[str, ImageAsset] = {}
    manifests = sorted(cdk_out.glob("*.assets.json"))
    if not manifests:
        raise BuildError(f"no asset manifests in {cdk_out}: synthesise the CDK app first (npx cdk synth)")
    for manifest in manifests:
        for asset_hash, entry in json.loads(manifest.read_text()).get("dockerImages", {}).items():
            source = entry["source"]
            if "directory" not in source:
                raise BuildError(f"{manifest.name}: image asset {asset_hash} is not built from a directory")
            found[asset_hash] = ImageAsset(
                hash=asset_hash,
                directory=(cdk_out / source["directory"]).resolve(),
                dockerfile=source.get("dockerFile", "Dockerfile"),
                build_args=dict(source.get("dockerBuildArgs", {})),
                platform=source.get("platform"),
            )
    return sorted(found.values(), key=lambda a: (a.service, a.hash))


def build_asset(asset: ImageAsset, *, tag: str | None = None, quiet: bool = True) -> str:
    """Build ``asset`` exactly as `cdk deploy` would (same command, directory and environment as cdk-assets) and tag
    it ``tag`` (its service name by default) too; returns that tag."""
    cmd = asset.build_command()
    if quiet:
        cmd.insert(2, "-q")
    # cdk-assets sets this too: BuildKit's default provenance attestations confuse its push.
    env = os.environ | {"BUILDX_NO_DEFAULT_ATTESTATIONS": "1"}
    _docker(cmd, f"docker build of asset {asset.hash} ({asset.dockerfile})", cwd=asset.directory, env=env)
    tag = tag or asset.service
    _docker(["docker", "tag", asset.local_tag, tag], f"docker tag {tag}")
    return tag


def build_assembly_images(cdk_out: Path, services: list[str] | None = None, *, force: bool = False) -> list[str]:
    """Build the image assets of ``cdk_out`` (those of ``services``, or all) as `cdk deploy` would, after filling
    the wheelhouse so that no index is needed; returns the service tags."""
    assets = [a for a in read_image_assets(cdk_out) if services is None or a.service in services]
    if not assets:
        raise BuildError(f"no image asset of {', '.join(services or [])} in {cdk_out}")
    build_wheelhouse(sorted({a.service for a in assets}), force=force)
    for base in sorted({a.build_args.get("BASE_IMAGE", PUBLIC_BASE_IMAGE) for a in assets}):
        if base == OFFLINE_BASE_IMAGE and not image_exists(base):
            _build_offline_base()
        seed_build_cache(base)
    return [build_asset(asset) for asset in assets]


def seed_build_cache(base_image: str, root: Path | None = None) -> None:
    """Copy .wheelhouse/ into BuildKit's cache that the image builds install from (docker/wheel-cache.Dockerfile):
    the assets' staged contexts do not carry it, and this machine's builds may not reach the package index."""
    root = root or repo_root()
    _docker(
        [
            "docker",
            "build",
            "-q",
            "--no-cache",
            "-t",
            "lambda-microservices-wheel-cache",
            "-f",
            str(root / "docker" / "wheel-cache.Dockerfile"),
            "--build-arg",
            f"BASE_IMAGE={base_image}",
            str(wheelhouse_dir(root)),
        ],
        "seeding the build cache from .wheelhouse/",
    )


def _docker(cmd: list[str], what: str, *, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env)
    if proc.returncode != 0:
        raise BuildError(f"{what} failed:\n{proc.stderr.strip()[-3000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localrun.images", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("list", "wheelhouse", "build", "assets", "base"))
    parser.add_argument("services", nargs="*")
    parser.add_argument("--all", action="store_true", help="every service under services/")
    parser.add_argument(
        "--base",
        help=f"base image (default: $BASE_IMAGE, else {PUBLIC_BASE_IMAGE}, else the offline {OFFLINE_BASE_IMAGE})",
    )
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"), help="assets: the cloud assembly")
    parser.add_argument("--force", action="store_true", help="refill the wheelhouse even when up to date")
    args = parser.parse_intermixed_args(argv)
    try:
        names = known_services() if args.all or not args.services else args.services
        if args.action == "list":
            print("\n".join(names))
        elif args.action == "base":
            print(resolve_base_image(args.base))
        elif args.action == "wheelhouse":
            started = time.monotonic()
            path = build_wheelhouse(names, force=args.force)
            print(f"wheelhouse {path} for {', '.join(names)} ({time.monotonic() - started:.1f} s)")
        elif args.action == "assets":
            started = time.monotonic()
            tags = build_assembly_images(args.cdk_out, args.services or None, force=args.force)
            print(
                f"built {len(tags)} image asset(s) of {args.cdk_out} as cdk deploy would: {', '.join(tags)} "
                f"({time.monotonic() - started:.1f} s)"
            )
        else:
            base = resolve_base_image(args.base)
            build_wheelhouse(names, force=args.force)
            for name in names:
                started = time.monotonic()
                tag = build_image(name, base)
                print(f"{name}: image {tag} on {base} ({time.monotonic() - started:.1f} s)")
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
