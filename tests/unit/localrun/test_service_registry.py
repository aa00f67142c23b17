"""The service registry the runners and image builds read from services/<svc>/pyproject.toml."""

from __future__ import annotations

import pytest
from localrun.images import BuildError, _workspace_dependencies, known_services, load_service, repo_root


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


def test_wheelhouse_includes_workspace_dependencies() -> None:
    assert _workspace_dependencies(load_service("backtosource"), repo_root()) == ["backtosource", "lambda-common"]


def test_dockerfile_cmd_matches_declared_handler() -> None:
    for name in known_services():
        svc = load_service(name)
        dockerfile = (svc.path / "Dockerfile").read_text()
        assert f'CMD ["{svc.handler}"]' in dockerfile, name
        assert "ARG BASE_IMAGE" in dockerfile and "--no-index" in dockerfile, name
