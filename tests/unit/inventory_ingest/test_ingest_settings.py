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


def test_the_coalescing_window_defaults_to_10000_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVENTORY_QUEUE_URL", "https://sqs.example/q")
    monkeypatch.delenv("COALESCE_WINDOW_KEYS", raising=False)
    assert load_settings(IngestSettings).coalesce_window_keys == 10_000


def test_the_coalescing_window_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVENTORY_QUEUE_URL", "https://sqs.example/q")
    monkeypatch.setenv("COALESCE_WINDOW_KEYS", "2500")
    assert load_settings(IngestSettings).coalesce_window_keys == 2_500


@pytest.mark.parametrize("value", ["0", "-5", "ten", "1.5", "200001"])
def test_a_coalescing_window_that_is_not_a_sane_key_count_fails_the_cold_start(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    # Zero would hold nothing; a huge window would let one file exhaust the function's memory.
    monkeypatch.setenv("INVENTORY_QUEUE_URL", "https://sqs.example/q")
    monkeypatch.setenv("COALESCE_WINDOW_KEYS", value)
    with pytest.raises(SettingsError, match="COALESCE_WINDOW_KEYS"):
        load_settings(IngestSettings)
