#!/usr/bin/env bash
# Make sure a Docker engine answers and `docker build` has BuildKit (the Dockerfiles use cache and bind mounts).
# As root, install Debian's docker.io and docker-buildx and start dockerd when missing (what CI needs); otherwise
# explain what to do.
set -euo pipefail

ensure_buildx() {
  if docker buildx version >/dev/null 2>&1; then return 0; fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: docker build needs BuildKit: install the buildx plugin (Debian: docker-buildx; docker-ce: docker-buildx-plugin)" >&2
    exit 1
  fi
  echo "[docker] installing Debian's docker-buildx" >&2
  apt-get update -qq >/dev/null
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-buildx >/dev/null 2>&1; then
    # Debian 12 has no docker-buildx; the package of Debian 13 (a static binary needing only libc) is used, fetched
    # through a sources list of its own so the system's apt sources stay as they are.
    local mirror tmp
    mirror=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
      /etc/apt/sources.list.d/*.list 2>/dev/null | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ' || true)
    [[ -n "$mirror" ]] || { echo "error: no Debian mirror in the apt sources to fetch docker-buildx from" >&2; exit 1; }
    tmp=$(mktemp -d)
    mkdir -p "$tmp/lists/partial"
    echo "deb $mirror trixie main" >"$tmp/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$tmp/lists" -o APT::Sandbox::User=root)
    apt-get "${opts[@]}" update -qq >/dev/null
    (cd "$tmp" && apt-get "${opts[@]}" download -qq docker-buildx >/dev/null)
    dpkg -i "$tmp"/docker-buildx_*.deb >/dev/null
    rm -rf "$tmp"
  fi
  docker buildx version >/dev/null 2>&1 || { echo "error: docker buildx does not answer after installing it" >&2; exit 1; }
}

if docker info >/dev/null 2>&1; then ensure_buildx; exit 0; fi
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
ensure_buildx
