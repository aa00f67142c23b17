# Sourced by runlocally.sh, calllocally.sh and test.sh: creates what is missing on a fresh machine.
#   - uv (from PyPI into .tools/ when not on PATH)
#   - .venv with every workspace package and the dev/infra groups, from uv.lock
#   - node_modules with the pinned aws-cdk CLI (only when BOOTSTRAP_NODE=1)
# Quiet and fast when everything is already there.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LAMBDA_REPO_ROOT="$REPO_ROOT"
export UV_PYTHON_DOWNLOADS=never   # use the machine's python3 (>= 3.11); never fetch interpreters
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
UV_VERSION=0.13.9

log() { printf '[bootstrap] %s\n' "$*" >&2; }

ensure_uv() {
  if command -v uv >/dev/null 2>&1; then return; fi
  if [[ ! -x "$REPO_ROOT/.tools/bin/uv" ]]; then
    log "installing uv $UV_VERSION into .tools/"
    python3 -m venv "$REPO_ROOT/.tools"
    "$REPO_ROOT/.tools/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"
  fi
  export PATH="$REPO_ROOT/.tools/bin:$PATH"
}

ensure_venv() {
  # uv sync is a no-op (a few ms) when .venv already matches uv.lock.
  (cd "$REPO_ROOT" && uv sync --frozen --all-packages --all-groups -q) || {
    log "uv sync failed: is python3 >= 3.11 installed and PyPI reachable?"; return 1; }
  export PATH="$REPO_ROOT/.venv/bin:$PATH"
  # Bytecode for every installed package, once per lock: without it each cold start of a function process
  # compiles its imports again (about 2x slower; uv does not compile by default).
  local stamp="$REPO_ROOT/.venv/.bytecode-$(sha256sum "$REPO_ROOT/uv.lock" | cut -c1-16)"
  if [[ ! -f "$stamp" ]]; then
    log "compiling bytecode for .venv (once per uv.lock)"
    "$REPO_ROOT/.venv/bin/python" -m compileall -q -j 0 "$REPO_ROOT/.venv/lib" >/dev/null 2>&1 || true
    rm -f "$REPO_ROOT"/.venv/.bytecode-* && touch "$stamp"
  fi
}

ensure_node_cli() {
  if [[ -x "$REPO_ROOT/node_modules/.bin/cdk" ]]; then return; fi
  command -v npm >/dev/null 2>&1 || { log "npm not found: install Node.js (>= 20) for the aws-cdk CLI"; return 1; }
  log "installing the pinned aws-cdk CLI (npm ci)"
  (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

ensure_uv
ensure_venv
if [[ "${BOOTSTRAP_NODE:-0}" == 1 ]]; then ensure_node_cli; fi
