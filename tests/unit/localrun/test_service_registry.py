"""The service registry the runners and image builds read from services/<svc>/pyproject.toml."""

from __future__ import annotations

import re

import pytest
from localrun.images import BuildError, known_services, load_service, repo_root, uv_version


def test_every_service_folder_is_known_and_declares_its_entrypoints() -> None:
    services = known_services()
    assert {"backtosource", "toanother"} <= set(services)
    for name in services:
        svc = load_service(name)
        assert svc.handler in svc.handlers.values(), f"{name}: the image CMD must be one of its handlers"
        assert all(h.startswith(svc.package.replace("-", "_") + ".") for h in svc.handlers.values())


def test_unknown_service_error_lists_known_ones() -> None:
    with pytest.raises(BuildError, match="known services: .*backtosource"):
        load_service("nosuchservice")


def test_images_read_uv_lock_with_the_uv_the_repository_bootstraps() -> None:
    # GIVEN the uv pinned for image builds and the one scripts/bootstrap.sh installs / THEN they are the same version
    bootstrap = (repo_root() / "scripts" / "bootstrap.sh").read_text()
    assert re.search(r"^UV_VERSION=(\S+)$", bootstrap, re.MULTILINE).group(1) == uv_version()  # type: ignore[union-attr]


def test_dockerfile_cmd_matches_declared_handler() -> None:
    for name in known_services():
        svc = load_service(name)
        dockerfile = (svc.path / "Dockerfile").read_text()
        assert f'CMD ["{svc.handler}"]' in dockerfile, name
        assert "ARG BASE_IMAGE" in dockerfile, name
        # the one install path, run with the repository root as the context and BuildKit's cache
        assert f"sh /src/docker/install-service.sh {name} /var/task" in dockerfile, name
        assert "--mount=type=cache" in dockerfile, name
        assert f"docker build -f services/{name}/Dockerfile -t {name} ." in dockerfile, name
