#!/usr/bin/env bash
# Build each service image (wheelhouse + docker build -f services/<svc>/Dockerfile -t <svc> .), on $BASE_IMAGE or --base, else the public Python image, else the offline base.
# Usage: docker/build-image.sh SERVICE... | --all  [--force] [--base IMAGE]
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/scripts/bootstrap.sh"
exec python -m localrun.images build "$@"
