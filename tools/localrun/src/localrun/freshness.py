"""What a restart may reuse: the cloud assembly and the service images, judged by a content hash of their inputs.

A second ``./runlocally.sh`` with nothing changed should not synthesise (a jsii start and the whole CDK app: ~10 s)
nor run ``docker build`` per service (~2 s each even when every layer is cached). Modification times are not
enough (a ``git checkout`` or an editor's save-without-change touches them; a copied tree keeps old ones), so the
inputs are hashed:

- the assembly: ``cdk.json``, every ``infra/**/*.py``, each service's ``pyproject.toml`` (its handler metadata)
  and ``Dockerfile``, and the selected stacks; the digest is written next to the assembly after a synth;
- an image: every file of its service (but ``__pycache__``), of ``libs/``, ``docker/`` and the workspace's
  ``uv.lock``; the digest and the image id built from it are kept in ``.localrun/images.json``. An image is current
  when its digest matches and its tag still names that id, which one ``docker images`` call answers for all.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

ASSEMBLY_STAMP = "localrun-inputs.json"
_SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules", ".venv"}


def _files(base: Path, pattern: str = "*") -> Iterator[Path]:
    if base.is_file():
        yield base
    elif base.is_dir():
        yield from (p for p in base.rglob(pattern) if p.is_file() and not _SKIPPED_PARTS & set(p.parts))


def digest(root: Path, files: Iterable[Path], extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for path in sorted(set(files)):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def assembly_inputs(root: Path, stacks: tuple[str, ...]) -> str:
    files: list[Path] = [*_files(root / "cdk.json"), *_files(root / "infra", "*.py")]
    for service in sorted((root / "services").iterdir()):
        files += [p for p in (service / "pyproject.toml", service / "Dockerfile") if p.is_file()]
    # BASE_IMAGE is synthesised into the image assets' build arguments: another one needs another synth.
    extra = "stacks=" + ",".join(sorted(stacks)) + ";base_image=" + os.environ.get("BASE_IMAGE", "")
    return digest(root, files, extra=extra)


def assembly_is_current(cdk_out: Path, root: Path, stacks: tuple[str, ...]) -> str | None:
    """Why ``cdk_out`` cannot be reused for ``stacks``, or None when its inputs are unchanged since its synth."""
    stamp = cdk_out / ASSEMBLY_STAMP
    if not (cdk_out / "manifest.json").is_file():
        return "no cloud assembly yet"
    if not stamp.is_file():
        return "no record of the assembly's inputs"
    try:
        recorded = json.loads(stamp.read_text()).get("inputs")
    except ValueError:
        return "the record of the assembly's inputs is unreadable"
    if recorded != assembly_inputs(root, stacks):
        return (
            "infra/, cdk.json, a service's pyproject.toml/Dockerfile, the stacks or BASE_IMAGE changed since the "
            "last synth"
        )
    return None


def record_assembly(cdk_out: Path, root: Path, stacks: tuple[str, ...]) -> str:
    inputs = assembly_inputs(root, stacks)
    (cdk_out / ASSEMBLY_STAMP).write_text(json.dumps({"inputs": inputs, "stacks": sorted(stacks)}) + "\n")
    return inputs


# -- images ---------------------------------------------------------------------------------------------------
def image_inputs(service: str, root: Path) -> str:
    files = [*_files(root / "services" / service), *_files(root / "libs"), *_files(root / "docker")]
    extra = f"image={service};base_image={os.environ.get('BASE_IMAGE', '')}"
    return digest(root, [*files, *_files(root / "uv.lock")], extra=extra)


class ImageStamps:
    """``.localrun/images.json``: per service, the digest of its inputs and the id of the image built from them."""

    def __init__(self, root: Path) -> None:
        self.path = root / ".localrun" / "images.json"
        self.root = root
        try:
            self._stamps: dict[str, dict[str, str]] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self._stamps = {}

    def stale(self, services: Iterable[str], tags: dict[str, str]) -> dict[str, str]:
        """The services whose image must be built, with why. ``tags``: tag -> image id (:func:`local_image_ids`)."""
        why: dict[str, str] = {}
        for service in sorted(set(services)):
            stamp = self._stamps.get(service, {})
            if service not in tags:
                why[service] = "no image"
            elif stamp.get("id") != tags[service]:
                why[service] = "not built by localrun from these inputs"
            elif stamp.get("inputs") != image_inputs(service, self.root):
                why[service] = "its inputs changed"
        return why

    def record(self, service: str, image_id: str) -> None:
        self._stamps[service] = {"inputs": image_inputs(service, self.root), "id": image_id}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".part")
        tmp.write_text(json.dumps(self._stamps, indent=1, sort_keys=True) + "\n")
        tmp.replace(self.path)


def local_image_ids() -> dict[str, str]:
    """Every ``name:latest`` image of the local engine -> its id, in one ``docker images`` call."""
    out = subprocess.run(
        ["docker", "images", "--no-trunc", "--format", "{{.Repository}}\t{{.Tag}}\t{{.ID}}"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    ids: dict[str, str] = {}
    for line in out.splitlines():
        repo, tag, image_id = (line.split("\t") + ["", "", ""])[:3]
        if tag == "latest":
            ids[repo] = image_id
    return ids
