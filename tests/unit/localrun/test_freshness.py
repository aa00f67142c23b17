"""What a restart reuses: the cloud assembly and the images, judged by a content hash of their inputs."""

from __future__ import annotations

import os
from pathlib import Path

from localrun.freshness import ImageStamps, assembly_is_current, record_assembly


def _repo(tmp_path: Path) -> Path:
    for rel, text in {
        "cdk.json": "{}",
        "infra/app.py": "APP = 1\n",
        "services/product/pyproject.toml": "[tool.lambda]\nhandler = 'a.b'\n",
        "services/product/src/product/api.py": "X = 1\n",
        "libs/common/src/lambda_common/__init__.py": "",
        "uv.lock": "lock\n",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "cdk.out").mkdir()
    (tmp_path / "cdk.out" / "manifest.json").write_text("{}")
    return tmp_path


def test_the_assembly_is_reused_until_an_input_changes_even_with_the_same_mtime(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    out = root / "cdk.out"
    assert assembly_is_current(out, root, ()) == "no record of the assembly's inputs"
    record_assembly(out, root, ())
    assert assembly_is_current(out, root, ()) is None
    # a service's source is not an input of the assembly
    (root / "services/product/src/product/api.py").write_text("X = 2\n")
    assert assembly_is_current(out, root, ()) is None
    # another stack selection is another assembly
    assert assembly_is_current(out, root, ("EcommerceStack",)) is not None
    # a change to infra/ with the old modification time is still a change
    app = root / "infra/app.py"
    stat = app.stat()
    app.write_text("APP = 2\n")
    os.utime(app, (stat.st_atime, stat.st_mtime))
    assert "changed" in (assembly_is_current(out, root, ()) or "")


def test_an_image_is_rebuilt_only_when_missing_replaced_or_its_inputs_changed(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    stamps = ImageStamps(root)
    assert stamps.stale(["product"], {}) == {"product": "no image"}
    assert stamps.stale(["product"], {"product": "sha256:1"}) == {"product": "not built by localrun from these inputs"}
    stamps.record("product", "sha256:1")
    assert ImageStamps(root).stale(["product"], {"product": "sha256:1"}) == {}
    assert ImageStamps(root).stale(["product"], {"product": "sha256:2"}) != {}  # retagged by someone else
    (root / "libs/common/src/lambda_common/__init__.py").write_text("Y = 1\n")
    assert ImageStamps(root).stale(["product"], {"product": "sha256:1"}) == {"product": "its inputs changed"}
