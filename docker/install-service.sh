#!/bin/sh
# Runs inside a service Dockerfile's build stage: installs services/$1 and its locked dependencies into $2.
#
#   /src     the build context (the repository root, filtered by .dockerignore), bind-mounted read-only
#   /cache   a BuildKit cache mount kept between builds: uv's cache and the uv wheel itself
#
# Dependencies are exactly those uv.lock pins for the service (`uv export --frozen`, hashes checked). They come,
# in this order, from: the cache of earlier builds and /src/.wheelhouse (docker/build-wheelhouse.sh; its wheels are
# kept in the cache too, so a later build from a context without it, e.g. CDK's staged asset, finds them) without
# touching the network; else the package index. The workspace's own packages (lambda-common and the service) are
# copied from source, so no build backend is needed. Everything is byte-compiled for the image's Python.
set -eu
service=$1
target=$2
# The uv that reads uv.lock (the same version as scripts/bootstrap.sh installs on the host; a unit test checks).
uv_version=0.13.9
wheelhouse=/src/.wheelhouse
export UV_CACHE_DIR=/cache/uv UV_NO_PROGRESS=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_BREAK_SYSTEM_PACKAGES=1

fail() {
  cat >&2 <<EOF

error: cannot install the dependencies of $service: $1
  The build looks for wheels in the BuildKit cache of earlier builds and in .wheelhouse/, then on the package
  index. On a machine without network (or whose containers cannot reach the index), prepare the wheelhouse first (on any machine with
  network, then copy .wheelhouse/ over) and build again:
      docker/build-wheelhouse.sh $service
      docker build -f services/$service/Dockerfile -t $service .
EOF
  exit 1
}

wheels=/cache/wheels
mkdir -p "$wheels"
if [ -d "$wheelhouse" ]; then cp -n "$wheelhouse"/*.whl "$wheels"/ 2>/dev/null || true; fi
# uv itself: from the cached wheels, else the index (its wheel is then cached).
python3 -m pip install -q --no-index --find-links "$wheels" --target /tmp/uv "uv==$uv_version" 2>/dev/null || {
  python3 -m pip download -q --only-binary=:all: --retries 1 --timeout 20 -d "$wheels" "uv==$uv_version" \
    || fail "uv $uv_version is not in the cache nor in .wheelhouse/, and the package index did not serve it"
  python3 -m pip install -q --no-index --find-links "$wheels" --target /tmp/uv "uv==$uv_version"
}
uv() { PYTHONPATH=/tmp/uv python3 -m uv "$@"; }

package=$(sed -n 's/^name = "\(.*\)"$/\1/p' "/src/services/$service/pyproject.toml" | head -n1)
cd /src
uv export --frozen --no-dev --package "$package" --no-header --no-annotate --no-emit-workspace -o /tmp/requirements.txt >/dev/null
install() { uv pip install -q --python python3 --target "$target" --require-hashes --find-links "$wheels" "$@" \
  -r /tmp/requirements.txt; }
install --offline 2>/dev/null || install || fail "the package index did not serve them (uv's message is above)"

# The workspace packages the service depends on (itself included), from source: `src/<package>` of each.
for member in $(uv export --frozen --no-dev --package "$package" --no-header --no-annotate --only-emit-workspace \
    | sed -n 's|^-e \./||p'); do
  cp -r "/src/$member"/src/* "$target"/
done
# Console scripts of the dependencies are not used by a function.
rm -rf "$target/bin"
find "$target" -name __pycache__ -prune -exec rm -rf {} +
# unchecked-hash: the .pyc files are used without a stat of their sources (nothing edits them in an image), and they
# are byte-identical across builds.
python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash "$target"
