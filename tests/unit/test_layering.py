"""The layering rule of docs/CONVENTIONS.md, enforced.

The import rules are import-linter contracts in pyproject.toml ([tool.importlinter]: services layered
handlers > adapters > domain > ports > models; domain code imports no AWS SDK, web framework, adapter or handler;
localrun layered); ``lint-imports`` checks them in scripts/lint.sh and this test checks them with the other tests.
What an import contract cannot express, domain code reading ``os.environ``, is checked here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_FILES = sorted(ROOT.glob("services/*/src/*/domain/**/*.py"))


def test_import_contracts_are_kept() -> None:
    # In a process of its own: import-linter's CLI changes the logging setup of the process it runs in.
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run(
        [str(lint), "--no-cache", "--config", str(ROOT / "pyproject.toml")], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_there_is_domain_code_to_check() -> None:
    assert len(DOMAIN_FILES) >= 5


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_module_reads_no_environment(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = [f"line {n.lineno}" for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "environ"]
    assert found == []
