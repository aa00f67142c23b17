"""Fixtures: one in-process synth of every stack whose service folders exist (no Docker, AWS or node CLI)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# infra/ is an app folder at the repo root, not an installed package.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
# Before anything starts jsii's node process (infra/__init__.py does the same for the app).
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

from aws_cdk.assertions import Template  # noqa: E402

from infra.assembly import Assembly, buildable_stacks, synth_app  # noqa: E402


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    return synth_app(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def stack_template(synthesized: Assembly) -> Callable[[str], Template]:
    """Template of a stack from the session synth; skips a stack whose service folders are not there yet."""

    def get(stack_name: str) -> Template:
        if stack_name not in buildable_stacks():
            pytest.skip(f"{stack_name}: a service folder is missing (see test_every_service_folder_...)")
        return Template.from_json(synthesized.template(stack_name))

    return get
