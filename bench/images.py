"""Figure 5: image size per service and of the offline base (as ``docker image inspect`` reports it, in MB)."""

from __future__ import annotations

import subprocess

from localrun.instance import image_exists

from bench.common import SERVICES, Row, Sheet, image_tag

OFFLINE_BASE = "lambda-base:bookworm"


def _size_mb(tag: str) -> float:
    out = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", tag],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(out.stdout.strip()) / 1e6


def run(sheet: Sheet) -> None:
    services = sorted(p.name for p in SERVICES.iterdir() if (p / "Dockerfile").is_file())
    for service in services:
        tag = image_tag(service)
        if tag is None:
            sheet.add(Row.na("image", service, "size", "docker", f"no local image {service}:latest or :dev"))
            continue
        sheet.add(Row.runs("image", service, "size", "MB", "docker", [_size_mb(tag)], note=tag))
    if image_exists(OFFLINE_BASE):
        sheet.add(
            Row.runs("image", "offline base", "size", "MB", "docker", [_size_mb(OFFLINE_BASE)], note=OFFLINE_BASE)
        )
    else:
        sheet.add(Row.na("image", "offline base", "size", "docker", f"no image {OFFLINE_BASE}"))
