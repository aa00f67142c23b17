"""Settings of the demo function: only the common ones (service name, log level)."""

from __future__ import annotations

from lambda_common.settings import ServiceSettings


class DemoSettings(ServiceSettings):
    pass
