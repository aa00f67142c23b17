"""Property-based API fuzzing: schemathesis drives the ASGI app in-process (moto behind it) from its own OpenAPI
document, positive and negative cases, and checks there is no 5xx and every answer conforms to the document."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from ordering.handlers.api import app
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

schema = schemathesis.openapi.from_asgi("/order/openapi.json", app)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_openapi_document(case: Any, order_table: Any) -> None:
    case.call_and_validate(checks=CHECKS)
