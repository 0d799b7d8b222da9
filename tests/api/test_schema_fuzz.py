"""schemathesis: requests generated from the OpenAPI schema never produce a server error (5xx)."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tanmap.api.app import create_app
from tanmap.api.settings import Settings

from .conftest import AUTH, TOKEN

#: Examples per operation: enough to hit every parameter's edges, small enough for CI.
EXAMPLES_PER_OPERATION = 20


@pytest.mark.slow
def test_no_operation_answers_with_a_server_error(store_path: Path) -> None:
    """Every operation of the schema, fuzzed; POST/PUT carry the token so writes are exercised."""
    app = create_app(Settings(store=str(store_path), api_token=TOKEN, max_upload_mb=1))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    calls: list[int] = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def fuzz(case: schemathesis.Case) -> None:
            headers = dict(AUTH) if case.method.upper() in ("POST", "PUT") else None
            response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
            calls.append(response.status_code)

        fuzz()
    assert len(calls) >= 5 * len(operations)  # the fuzzer really sent requests
    assert any(code < 300 for code in calls)
    assert any(400 <= code < 500 for code in calls)
