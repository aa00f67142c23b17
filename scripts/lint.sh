#!/usr/bin/env bash
# ruff (lint + format check) over the repo, mypy --strict over every package, import-linter's layering contracts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ruff check .
ruff format --check --quiet . || { echo "ruff format: files need formatting (run: uv run ruff format .)" >&2; exit 1; }
packages=()
for init in libs/*/src/*/__init__.py services/*/src/*/__init__.py tools/*/src/*/__init__.py; do
  packages+=(-p "$(basename "$(dirname "$init")")")
done
mypy "${packages[@]}" -p infra
lint-imports --no-cache  # the layering contracts in pyproject.toml [tool.importlinter]
