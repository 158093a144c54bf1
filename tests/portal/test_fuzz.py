"""Schemathesis over the portal's OpenAPI document: generated requests (bounded examples per
operation, valid and invalid parameters) sent to a running `mlg serve` never get a server error.

The document is the app's own (`create_app().openapi()`, no lakehouse needed to describe the
API), loaded at import so each operation is its own test; the requests go to the real server."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from spark_jobs.config import Settings
from spark_jobs.portal import create_app

pytestmark = [pytest.mark.integration, pytest.mark.slow]

schema = schemathesis.openapi.from_dict(
    create_app(Settings.load(env={}, lakehouse="/nonexistent-portal-schema-only"), start_engine=False).openapi())


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
def test_no_request_gets_a_server_error(case, served):
    if case.operation.path == "/api/v1/explain":
        # explain walks the graph with Spark one hop at a time: keep its fuzzing short
        case.query = {**(case.query or {}), "max_depth": 1}
    case.call_and_validate(base_url=served.url, checks=[not_a_server_error], timeout=60)
