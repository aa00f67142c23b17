#!/usr/bin/env bash
# Call what ./runlocally.sh runs.
#
#   ./calllocally.sh SERVICE [EVENT]     invoke a service served by `./runlocally.sh SERVICE` (port $PORT or 9000).
#                                        EVENT is a JSON file (e.g. services/dlq_demo/events/sqs.json), a JSON
#                                        string, or absent for the seed's {"message": "Hello World"}.
#   ./calllocally.sh SHORTCUT ...        drive the whole local topology (see ./calllocally.sh help):
#       ls | put-event | upload | publish | send | receive | invoke | watch | user | token
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHORTCUTS=" ls put-event upload publish send receive invoke watch user token "

usage() { sed -n '2,10p' "$0"; }

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then usage; exit 0; fi
if [[ "$1" == help ]]; then
  source "$HERE/scripts/bootstrap.sh"; exec python -m localrun.shortcuts --help
fi
if [[ "$SHORTCUTS" == *" $1 "* ]]; then
  source "$HERE/scripts/bootstrap.sh"; exec python -m localrun.shortcuts "$@"
fi

service="$1"
if [[ ! -f "$HERE/services/$service/Dockerfile" ]]; then
  echo "error: unknown service or shortcut '$service'." >&2
  echo "services: $(cd "$HERE/services" && ls -d */ | tr -d / | tr '\n' ' ')" >&2
  echo "shortcuts:$SHORTCUTS" >&2
  exit 2
fi

event="${2:-}"
if [[ -z "$event" ]]; then
  payload='{"message": "Hello World"}'
elif [[ -f "$event" ]]; then
  payload="$(cat "$event")"
elif [[ -f "$HERE/services/$service/events/$event" ]]; then
  payload="$(cat "$HERE/services/$service/events/$event")"
elif [[ "$event" == *.json || "$event" == */* ]]; then
  echo "error: no event file '$event' (looked in ./ and services/$service/events/)" >&2
  exit 2
else
  payload="$event"
fi

# Refuse to send invalid JSON: RIE would answer with an unmarshal error that hides the typo.
if ! problem=$(printf '%s' "$payload" | python3 -c 'import json,sys
try: json.load(sys.stdin)
except ValueError as e: print(e); sys.exit(1)'); then
  echo "error: the event is not valid JSON: $problem" >&2
  exit 2
fi

port="${PORT:-9000}"
url="http://127.0.0.1:$port/2015-03-31/functions/function/invocations"
if ! out=$(curl -sS --max-time "${TIMEOUT:-60}" -XPOST "$url" -H 'Content-Type: application/json' --data-binary "$payload" 2>&1); then
  echo "error: nothing answered on $url ($out). Start it with: ./runlocally.sh $service" >&2
  exit 1
fi
printf '%s\n' "$out"
