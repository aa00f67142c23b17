from __future__ import annotations

import pytest
from inventory_ingest.settings import IngestSettings
from lambda_common.settings import SettingsError, load_settings


def test_the_queue_url_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INVENTORY_QUEUE_URL", raising=False)
    with pytest.raises(SettingsError, match="INVENTORY_QUEUE_URL"):
        load_settings(IngestSettings)


def test_the_rejects_prefix_defaults_to_rejects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVENTORY_QUEUE_URL", "https://sqs.example/q")
    monkeypatch.delenv("REJECTS_PREFIX", raising=False)
    settings = load_settings(IngestSettings)
    assert (settings.inventory_queue_url, settings.rejects_prefix) == ("https://sqs.example/q", "rejects/")


def test_a_rejects_prefix_must_end_with_a_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    # "rejects" alone would also match upload keys such as "rejects_2024.csv"
    monkeypatch.setenv("INVENTORY_QUEUE_URL", "https://sqs.example/q")
    monkeypatch.setenv("REJECTS_PREFIX", "rejects")
    with pytest.raises(SettingsError, match="REJECTS_PREFIX"):
        load_settings(IngestSettings)
