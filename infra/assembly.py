"""Synthesise the app in-process (tests, tools) and read the resulting cloud assembly.

`cdk synth` (the CLI) and :func:`synth_app` produce the same templates: both use cdk.json's context.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra import config
from infra.app import STACK_SERVICES, build_app, cdk_json_context


def buildable_stacks() -> list[str]:
    """Stacks whose service folders (with a Dockerfile) are all present in the checkout."""
    return [
        name
        for name, services in STACK_SERVICES.items()
        if all((config.SERVICES_DIR / svc / "Dockerfile").is_file() for svc in services)
    ]


def synth_app(outdir: Path, *, only: list[str] | None = None, context: dict[str, Any] | None = None) -> Assembly:
    """Synthesise ``only`` (default: every buildable stack) into ``outdir`` with cdk.json's context (+ ``context``)."""
    ctx = cdk_json_context()
    ctx.update(context or {})
    app = cdk.App(outdir=str(outdir), context=ctx)
    build_app(app, only=only if only is not None else buildable_stacks())
    app.synth()
    return Assembly(outdir)


@dataclass(frozen=True)
class Assembly:
    outdir: Path

    def stack_names(self) -> list[str]:
        return sorted(p.name.removesuffix(".template.json") for p in self.template_files())

    def template_files(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))

    def template(self, stack_name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.outdir / f"{stack_name}.template.json").read_text())
        return data
