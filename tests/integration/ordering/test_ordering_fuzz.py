"""Property-based API fuzzing: schemathesis drives the ASGI app in-process (moto behind it) from its own OpenAPI
document with every built-in check: no 5xx, answers that conform to the document, schema-valid requests accepted,
schema-invalid ones refused, 405/OPTIONS with the right Allow, and no stack trace (tests/integration/conftest.py,
which also counts the requests and prints the total at the end of the run)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, settings
from ordering.handlers.api import app

schema = schemathesis.openapi.from_asgi("/order/openapi.json", app)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_openapi_document(case: Any, documented_case: Any, order_table: Any) -> None:
    assume(documented_case(case))
    case.call_and_validate()
