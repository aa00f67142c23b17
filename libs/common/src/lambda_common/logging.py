"""One structured (JSON) logger per process, from Powertools."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger


@lru_cache(maxsize=1)
def get_logger() -> Logger:
    """Return the process-wide logger; service name and level come from the POWERTOOLS_* variables."""
    from aws_lambda_powertools import Logger

    return Logger()
