"""The layering rule of docs/CONVENTIONS.md, enforced: domain code imports no AWS SDK, web framework or environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_MODULES = ("boto3", "botocore", "fastapi", "mangum", "starlette", "lambda_common.aws")
DOMAIN_FILES = sorted(ROOT.glob("services/*/src/*/domain/**/*.py"))


def _violations(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Attribute) and node.attr == "environ":
            found.append(f"line {node.lineno}: os.environ")
            continue
        else:
            continue
        found += [
            f"line {node.lineno}: import {n}"
            for n in names
            if n.split(".")[0] in FORBIDDEN_MODULES or n in FORBIDDEN_MODULES
        ]
    return found


def test_there_is_domain_code_to_check() -> None:
    assert len(DOMAIN_FILES) >= 5


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_module_is_pure(path: Path) -> None:
    assert _violations(path) == []
