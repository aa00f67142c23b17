"""Hot reload: which saved files reload which services, and how a batch reaches the control plane."""

from __future__ import annotations

from pathlib import Path

from localrun.journal import Journal
from localrun.reload import Changes, Reloader, classify, source_mounts

REPO = Path(__file__).resolve().parents[3]
SERVICES = ("product", "basket")


def test_a_service_source_reloads_that_service_only() -> None:
    changes = classify([REPO / "services/product/src/product/domain/catalog.py"], REPO, SERVICES)
    assert changes == Changes(code=frozenset({"product"}))


def test_a_shared_library_reloads_every_service() -> None:
    changes = classify([REPO / "libs/common/src/lambda_common/logging.py"], REPO, SERVICES)
    assert changes.code == frozenset(SERVICES)


def test_dependencies_and_infra_are_told_apart_and_the_rest_ignored() -> None:
    changes = classify(
        [
            REPO / "services/basket/pyproject.toml",
            REPO / "infra/stacks/ecommerce.py",
            REPO / "services/product/src/product/__pycache__/x.cpython-312.pyc",
            REPO / "services/product/README.md",
            REPO / "services/unknown/src/x.py",
            Path("/elsewhere/file.py"),
        ],
        REPO,
        SERVICES,
    )
    assert changes.dependencies == frozenset({"basket"}) and changes.code == frozenset()
    assert changes.infra == (REPO / "infra/stacks/ecommerce.py",)


def test_docker_mounts_put_the_service_and_shared_sources_over_the_installed_packages() -> None:
    mounts = dict(source_mounts("product", REPO))
    assert mounts[str((REPO / "services/product/src/product").resolve())] == "/var/task/product"
    assert mounts[str((REPO / "libs/common/src/lambda_common").resolve())] == "/var/task/lambda_common"


class RecordingControl:
    def __init__(self) -> None:
        self.recycled: list[list[str]] = []

    def recycle(self, names: list[str], warm: int = 1) -> None:
        self.recycled.append(names)


def test_a_dependency_change_rebuilds_that_image_only_then_recycles(tmp_path: Path) -> None:
    # GIVEN a docker-mode topology of two services
    control, built = RecordingControl(), []
    log = tmp_path / "journal"
    with log.open("w") as stream:
        reloader = Reloader(
            {"product": ["P"], "basket": ["B1", "B2"]}, control, Journal(stream), "docker", built.append
        )
        # WHEN basket's dependencies and product's code change in one batch
        reloader(Changes(code=frozenset({"product"}), dependencies=frozenset({"basket"})))
    # THEN only basket's image is rebuilt, both are recycled, and the journal says so, one line per reload
    assert built == ["basket"]
    assert control.recycled == [["B1", "B2"], ["P"]]
    text = log.read_text()
    assert "rebuilding image basket (only)" in text and "product (code): P reloaded in" in text


def test_a_failed_rebuild_keeps_the_running_code(tmp_path: Path) -> None:
    control = RecordingControl()

    def fail(service: str) -> None:
        raise RuntimeError("no network")

    with (tmp_path / "journal").open("w") as stream:
        Reloader({"basket": ["B"]}, control, Journal(stream), "docker", fail)(
            Changes(dependencies=frozenset({"basket"}))
        )
    assert control.recycled == []
    assert "image build failed, keeping the running code: no network" in (tmp_path / "journal").read_text()


def test_a_saved_module_loses_its_cached_bytecode(tmp_path: Path) -> None:
    # GIVEN a module and its bytecode, as a function's first import leaves them
    import py_compile

    from localrun.reload import drop_bytecode

    module = tmp_path / "handler.py"
    module.write_text("ANSWER = 1\n")
    cached = Path(py_compile.compile(str(module)))
    other = tmp_path / "__pycache__" / "other.cpython-311.pyc"
    other.write_bytes(b"")
    # WHEN it is saved again (same size, maybe within the same second: the .pyc header would still match)
    module.write_text("ANSWER = 2\n")
    drop_bytecode([module])
    # THEN its bytecode is gone, other modules' stay
    assert not cached.exists() and other.exists()
