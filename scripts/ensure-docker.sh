#!/usr/bin/env bash
# Make sure a Docker engine answers. As root, install Debian's docker.io and start dockerd when none runs
# (what CI needs); otherwise explain what to do.
set -euo pipefail

if docker info >/dev/null 2>&1; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "error: no Docker engine answers; start Docker (or run as root to let this script start dockerd)" >&2
  exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "[docker] installing Debian's docker.io" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  echo "[docker] starting dockerd (log: /tmp/dockerd.log)" >&2
  nohup dockerd >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
fi
docker info >/dev/null 2>&1 || { echo "error: dockerd did not come up; see /tmp/dockerd.log" >&2; tail -5 /tmp/dockerd.log >&2; exit 1; }
