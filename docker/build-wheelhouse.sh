#!/usr/bin/env bash
# Fill .wheelhouse/ with every wheel the images of SERVICE... install (as uv.lock pins them, for Python 3.11 and
# 3.12) and uv's own, so their docker build needs no package index.
# Usage: docker/build-wheelhouse.sh SERVICE... | --all  [--force]
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/scripts/bootstrap.sh"
exec python -m localrun.images wheelhouse "$@"
