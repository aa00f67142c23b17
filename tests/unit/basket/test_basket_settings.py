"""BasketSettings: the variables CDK sets (docs/CONVENTIONS.md), validated at cold start."""

from __future__ import annotations

import pytest
from basket.settings import BasketSettings
from lambda_common.settings import SettingsError, load_settings

VARIABLES = ["BASKET_TABLE_NAME", "PRODUCT_TABLE_NAME", "EVENT_BUS_NAME"]


def test_every_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.setenv(name, f"value-of-{name}")
    settings = load_settings(BasketSettings)
    assert sorted(str(v) for v in settings.model_dump().values() if str(v).startswith("value-of-")) == sorted(
        f"value-of-{name}" for name in VARIABLES
    )


@pytest.mark.parametrize("missing", VARIABLES)
def test_a_missing_or_empty_variable_fails_the_cold_start_by_name(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    for name in VARIABLES:
        monkeypatch.setenv(name, "x")
    monkeypatch.delenv(missing)
    with pytest.raises(SettingsError, match=missing):
        load_settings(BasketSettings)
    monkeypatch.setenv(missing, "")
    with pytest.raises(SettingsError, match=missing):
        load_settings(BasketSettings)
