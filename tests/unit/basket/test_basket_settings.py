"""BasketSettings (price consumer) and BasketApiSettings: the variables CDK sets (docs/CONVENTIONS.md), validated
at cold start."""

from __future__ import annotations

import pytest
from basket.settings import BasketApiSettings, BasketSettings
from lambda_common.settings import ServiceSettings, SettingsError, load_settings

VARIABLES = ["BASKET_TABLE_NAME", "PRODUCT_TABLE_NAME"]
API_VARIABLES = [*VARIABLES, "EVENT_BUS_NAME", "IDEMPOTENCY_TABLE_NAME"]
CASES = [(BasketSettings, VARIABLES), (BasketApiSettings, API_VARIABLES)]


@pytest.mark.parametrize(("model", "variables"), CASES)
def test_every_variable_is_read(
    monkeypatch: pytest.MonkeyPatch, model: type[ServiceSettings], variables: list[str]
) -> None:
    for name in variables:
        monkeypatch.setenv(name, f"value-of-{name}")
    settings = load_settings(model)
    assert sorted(str(v) for v in settings.model_dump().values() if str(v).startswith("value-of-")) == sorted(
        f"value-of-{name}" for name in variables
    )


@pytest.mark.parametrize(("model", "missing"), [(model, name) for model, names in CASES for name in names])
def test_a_missing_or_empty_variable_fails_the_cold_start_by_name(
    monkeypatch: pytest.MonkeyPatch, model: type[ServiceSettings], missing: str
) -> None:
    for name in API_VARIABLES:
        monkeypatch.setenv(name, "x")
    monkeypatch.delenv(missing)
    with pytest.raises(SettingsError, match=missing):
        load_settings(model)
    monkeypatch.setenv(missing, "")
    with pytest.raises(SettingsError, match=missing):
        load_settings(model)
