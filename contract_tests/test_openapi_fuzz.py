"""Schema-driven fuzzing: schemathesis over the server's own OpenAPI document.

Runs with a real API key so that authenticated paths are reached. The generated requests may
create and delete arbitrary documents, so this runs against the mock only: in-process, served,
or at a ``--rspace-url`` whose admin API shows it is the mock. Against any other server the
report says "not checked".
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from .clauses import NOT_CHECKED_PREFIX, expect
from .conftest import TargetFactory
from .helpers import require_api_key_users

EXAMPLES_PER_OPERATION = 25


@pytest.mark.real_port
@pytest.mark.clause("OPENAPI-FUZZ-1")
def test_responses_conform_to_own_openapi(target_factory: TargetFactory) -> None:
    target = target_factory.new()
    if target_factory.spec.mode == "url" and target.admin is None:
        pytest.skip(
            NOT_CHECKED_PREFIX + "schema fuzzing writes arbitrary data; it runs against the "
            "mock only (a server with the mock's admin API)"
        )
    user = require_api_key_users(target)[0]
    document = target.get("/openapi.json")
    if document.status_code != 200:
        pytest.skip("the server publishes no /openapi.json")
    if target_factory.fresh_each_time:
        schema = schemathesis.openapi.from_asgi("/openapi.json", target.client.app)  # type: ignore[attr-defined]
    else:
        schema = schemathesis.openapi.from_url(target.base_url + "/openapi.json")
    headers = {"apiKey": user.api_key or ""}
    examples = max(5, min(EXAMPLES_PER_OPERATION, settings.default.max_examples // 2))
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=examples, suppress_health_check=list(HealthCheck), deadline=None)
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            check()
        # Collect every operation's failure, then report them all (schemathesis raises its
        # failures as a FailureGroup, which is not an Exception).
        except (Exception, FailureGroup) as error:
            failures.append(f"{operation.label}: {error}")
    expect(not failures, "OPENAPI-FUZZ-1", "\n\n".join(failures)[:5000])
