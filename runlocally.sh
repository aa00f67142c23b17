#!/usr/bin/env bash
# Run the system on this machine, offline, with no AWS account.
#
#   ./runlocally.sh                       every stack of the CDK app: local AWS endpoint on :4566, REST API on
#                                         :3000, every function as a pool of RIE instances, and AWS's glue
#       [--stacks A,B] [--time-scale F] [--docker|--process] [--warm N] [--pool-max N] [--json-log]
#       [--no-reload] [--state DIR | --no-state] [--fresh]
#   ./runlocally.sh SERVICE               one service under RIE on http://127.0.0.1:9000 (the seed's loop)
#       [--handler NAME] [--docker|--process] [--port N] [--base IMAGE] [--env K=V] [--no-reload]
#
# Hot reload is on: save a file under services/<svc>/src or libs/*/src and the next call runs it. State (tables,
# objects, queues and messages, topics, buses) is kept in .localrun/state across restarts; --fresh starts empty.
#
# Docker mode (when an engine answers) builds each service image from cdk.out's image assets, as `cdk deploy`
# would; process mode runs the same handlers with the same RIE as local processes. Everything it needs (uv, .venv, the aws-cdk CLI, RIE) is set up on first run.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $# -gt 0 && "$1" != -* ]]; then
  source "$HERE/scripts/bootstrap.sh"
  cd "$REPO_ROOT"
  exec python -m localrun.single "$@"
fi

BOOTSTRAP_NODE=1 source "$HERE/scripts/bootstrap.sh"
cd "$REPO_ROOT"

mode=auto; args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --docker) mode=docker ;;
    --process) mode=process ;;
    --mode) mode="$2"; shift ;;
    --stacks) args+=(--stacks "$2"); shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) args+=("$1") ;;
  esac
  shift
done
if [[ "$mode" == auto ]]; then
  if docker info >/dev/null 2>&1; then mode=docker; else mode=process; fi
  echo "mode: $mode ($([[ $mode == docker ]] && echo 'Docker engine found' || echo 'no Docker engine answers'))"
elif [[ "$mode" == docker ]] && ! docker info >/dev/null 2>&1; then
  echo "error: --docker given but no Docker engine answers (is dockerd running?)" >&2; exit 2
fi

# Reject bad options now, not after a synth and image builds.
python -c 'import sys; from localrun.topology import parse_args; parse_args(sys.argv[1:])' --mode "$mode" "${args[@]}"

extra=()
if [[ "$mode" == docker ]]; then
  # The images' BASE_IMAGE build argument is synthesised into the assembly: the public Python image when it is
  # here or can be pulled, else the offline Debian base (built when missing). $BASE_IMAGE chooses.
  BASE_IMAGE=$(python -m localrun.images base); export BASE_IMAGE
  # Built from cdk.out's image assets with the CLI's own `docker build` arguments (what `cdk deploy` would push),
  # only those whose inputs changed since localrun built them (localrun.freshness): a restart with nothing
  # changed builds none.
  extra=(--build-images)
fi

# The one start path (localrun.launch): synthesise cdk.out unless its inputs are unchanged (a content hash), build
# stale images (docker mode), provision, start, READY.
exec python -m localrun.topology --mode "$mode" "${extra[@]}" "${args[@]}"
