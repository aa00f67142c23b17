# Puts the wheelhouse's wheels into the BuildKit cache that the service images install from (the `/cache` mount of
# docker/install-service.sh). Image assets built from cdk.out do not carry .wheelhouse/ (it is machine-local and
# must not change their hash), so on a machine whose builds cannot reach the package index this is how they find
# the wheels; where the index answers it is not needed. Run by `python -m localrun.images assets`:
#   docker build --no-cache -f docker/wheel-cache.Dockerfile --build-arg BASE_IMAGE=... .wheelhouse
ARG BASE_IMAGE=python:3.12-slim-bookworm
FROM ${BASE_IMAGE}
RUN --mount=type=bind,target=/wheelhouse --mount=type=cache,target=/cache,sharing=locked \
    mkdir -p /cache/wheels && cp -n /wheelhouse/*.whl /cache/wheels/
