"""Typed settings read from the environment and validated once, at start-up.

Each service subclasses ``ServiceSettings``; CDK sets exactly the variable names the subclass declares.
"""

from __future__ import annotations

import sys
from typing import TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

SettingsT = TypeVar("SettingsT", bound="ServiceSettings")


class ServiceSettings(BaseSettings):
    """Settings every function has. Names match Powertools' own variables so one setting drives both."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = Field(default="service", alias="POWERTOOLS_SERVICE_NAME", min_length=1)
    log_level: str = Field(default="INFO", alias="POWERTOOLS_LOG_LEVEL")


class SettingsError(RuntimeError):
    """Raised at start-up when the environment does not satisfy a settings class."""


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """Validate the environment against ``cls``; fail the cold start with every missing or bad variable named."""
    try:
        return cls()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        message = f"invalid configuration for {cls.__name__}: {problems}"
        print(message, file=sys.stderr)  # noqa: T201 - the logger may not be configured yet
        raise SettingsError(message) from None
