"""Typed settings read from the environment and validated once, at start-up.

Each service subclasses ``ServiceSettings``; CDK sets exactly the variable names the subclass declares, as the
fields' aliases. A plain pydantic model validated against ``os.environ`` rather than pydantic-settings: every
setting is a flat string named exactly, and importing pydantic-settings (its sources pull in asyncio, dotenv and
the cloud providers) cost about 100-200 ms of every cold start on the benchmark machine (bench/README.md).
"""

from __future__ import annotations

import os
import sys
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SettingsT = TypeVar("SettingsT", bound="ServiceSettings")


class ServiceSettings(BaseModel):
    """Settings every function has. Names match Powertools' own variables so one setting drives both."""

    # extra="ignore": the environment holds much more than settings.
    model_config = ConfigDict(extra="ignore", frozen=True)

    service_name: str = Field(default="service", alias="POWERTOOLS_SERVICE_NAME", min_length=1)
    log_level: str = Field(default="INFO", alias="POWERTOOLS_LOG_LEVEL")


class SettingsError(RuntimeError):
    """Raised at start-up when the environment does not satisfy a settings class."""


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """Validate the environment against ``cls``; fail the cold start with every missing or bad variable named."""
    try:
        return cls.model_validate(dict(os.environ))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        message = f"invalid configuration for {cls.__name__}: {problems}"
        print(message, file=sys.stderr)  # noqa: T201 - the logger may not be configured yet
        raise SettingsError(message) from None
