#!/usr/bin/env bash
# The test command. Sets up everything it needs on a fresh machine (uv, .venv, aws-cdk CLI), then runs:
#   1. lint      ruff + mypy --strict
#   2. tests     unit, integration, contract and infra tests (no Docker)
#   3. py3.12    unit, integration and contract tests again on Python 3.12, when python3.12 exists
#   4. deploy    scripts/rehearse-deploy.sh: what `cdk deploy --all` does up to its AWS calls (synth + cdk-nag,
#                cfn-lint, every image asset built from cdk.out as the CLI builds it, on the offline base in CI)
#   5. docker    the tests that invoke those images through RIE and drive the whole local topology
#                (tests/docker, tests/e2e)
#
#   ./test.sh            everything; the docker phase runs when an engine answers (always in CI, where it is
#                        installed and started if missing, and a missing engine fails the run)
#   ./test.sh --fast     without the docker phase
#   ./test.sh -- ARGS    extra pytest arguments for the test phases (e.g. -- -k basket)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fast=0; pytest_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --fast) fast=1 ;;
    --) shift; pytest_args=("$@"); break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

declare -a timings=()
phase_start=0
begin() { phase_start=$SECONDS; echo; echo "=== $1"; }
end() { timings+=("$(printf '%-10s %4d s' "$1" $((SECONDS - phase_start)))"); }
report() { echo; echo "=== phase timings"; printf '%s\n' "${timings[@]}"; }
trap report EXIT

begin setup
BOOTSTRAP_NODE=1 source "$HERE/scripts/bootstrap.sh"
cd "$REPO_ROOT"
end setup

begin lint
scripts/lint.sh
end lint

begin tests
pytest -m "not docker and not e2e" "${pytest_args[@]}"
end tests

# Python 3.12 (the public base image's) as well as 3.11 (the offline Debian base's), when the machine has it.
find_python312() {
  # pyenv's shims exist without being runnable outside an activated pyenv, so each candidate must answer.
  local candidate
  for candidate in "$(command -v python3.12 || true)" /usr/bin/python3.12 /usr/local/bin/python3.12 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12; do
    if [[ -x "$candidate" ]] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}
if py312=$(find_python312); then
  begin py3.12
  UV_PROJECT_ENVIRONMENT="$REPO_ROOT/.cache/venv-py312" uv sync -q --frozen --all-packages --all-groups --python "$py312"
  "$REPO_ROOT/.cache/venv-py312/bin/python" -m pytest -q -m "not docker and not e2e and not slow" \
    tests/unit tests/integration tests/contract "${pytest_args[@]}"
  end py3.12
else
  echo "=== py3.12: no python3.12 on this machine; the suite ran on $(python --version) only"
fi

if [[ $fast == 1 ]]; then exit 0; fi

if [[ "${CI:-}" == true ]]; then
  scripts/ensure-docker.sh
  scripts/ensure-chromium.sh  # the console's browser tests run in the docker phase and fail without it in CI
elif ! docker info >/dev/null 2>&1; then
  echo
  echo "=== docker: SKIPPED — no Docker engine answers. The docker and e2e tests did not run."
  echo "    Start Docker (or run as root with CI=true to let this script start dockerd) to run them."
  exit 0
fi

begin deploy
# The deploy rehearsal: synth with cdk-nag, cfn-lint, and every image asset built as `cdk deploy` builds it (from
# cdk.out); the images the Docker tests and the local runner use are those. CI and air-gapped machines build on
# the offline base; elsewhere BASE_IMAGE may name any python3 image.
if [[ "${CI:-}" == true ]]; then export BASE_IMAGE="${BASE_IMAGE:-lambda-base:bookworm}"; fi
scripts/rehearse-deploy.sh
end deploy

begin docker
pytest -m "docker or e2e" "${pytest_args[@]}"
end docker
