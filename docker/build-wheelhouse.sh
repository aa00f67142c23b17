#!/usr/bin/env bash
# Fill services/<svc>/.wheelhouse/ (every wheel the image installs), so docker build needs no network.
# Usage: docker/build-wheelhouse.sh SERVICE... | --all  [--force]
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/scripts/bootstrap.sh"
exec python -m localrun.images wheelhouse "$@"
