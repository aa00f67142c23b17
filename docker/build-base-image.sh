#!/usr/bin/env bash
# Build a Debian bookworm + python3 base image without any container registry.
#
# Why: CI and air-gapped machines cannot pull python:3.12-slim. This script
# debootstraps a minimal bookworm root filesystem from Debian's package mirror,
# adds python3 + pip, and imports it as a local image. The service Dockerfiles
# accept it through `--build-arg BASE_IMAGE=<tag>`.
#
# Usage: docker/build-base-image.sh [TAG]      (default: lambda-base:bookworm)
# Env:   DEBIAN_MIRROR (default: the mirror apt already uses, else deb.debian.org)
#        FORCE=1 rebuilds even when the tag exists.
set -euo pipefail

TAG="${1:-lambda-base:bookworm}"
SUITE=bookworm

if [[ "${FORCE:-0}" != 1 ]] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "base image $TAG already exists (FORCE=1 to rebuild)"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "error: debootstrap needs root; run: sudo $0 $*" >&2
  exit 2
fi
if ! command -v debootstrap >/dev/null; then
  echo "installing debootstrap (Debian package)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

mirror="${DEBIAN_MIRROR:-}"
if [[ -z "$mirror" ]]; then
  # Reuse the mirror the host's apt is configured with, so a proxying mirror keeps working.
  mirror=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
    /etc/apt/sources.list.d/*.list 2>/dev/null | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ' || true)
  mirror="${mirror:-http://deb.debian.org/debian}"
fi

rootfs=$(mktemp -d /tmp/lambda-base-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

echo "debootstrap $SUITE from $mirror"
# python3-pip pulls setuptools/wheel; ca-certificates lets pip talk to PyPI when a user wants it.
debootstrap --variant=minbase --include=python3,python3-pip,ca-certificates \
  "$SUITE" "$rootfs" "$mirror" >/tmp/lambda-base-debootstrap.log 2>&1 || {
  tail -20 /tmp/lambda-base-debootstrap.log >&2
  echo "error: debootstrap failed (full log: /tmp/lambda-base-debootstrap.log)" >&2
  exit 1
}

# Trim what a Lambda image never needs: apt lists, docs, locales, man pages.
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
  "$rootfs"/usr/share/locale/* "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/log/*

tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  - "$TAG" >/dev/null

echo "built $TAG: $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}')"
