from __future__ import annotations

import pytest
from inventory_updater.settings import UpdaterSettings
from lambda_common.settings import SettingsError, load_settings


def test_the_table_name_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INVENTORY_TABLE_NAME", raising=False)
    with pytest.raises(SettingsError, match="INVENTORY_TABLE_NAME"):
        load_settings(UpdaterSettings)


def test_the_table_name_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVENTORY_TABLE_NAME", "Inventory-123")
    assert load_settings(UpdaterSettings).inventory_table_name == "Inventory-123"
