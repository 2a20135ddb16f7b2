"""A bounded schemathesis run against the app's own OpenAPI schema: every check, no failure.

The live server (real uvicorn, loopback) serves the seeded store; each operation gets a
fixed number of generated cases, schema-valid and schema-violating, so the run stays about a
minute. The counts are printed (``-s``).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.live_server import Serve

EXAMPLES = 45  # per operation and generation mode


def relaxed(case: schemathesis.Case) -> list[Any]:
    """Checks one operation cannot meet: the OpenAI request shape has rules JSON Schema cannot
    say (the last message must be the user's, with text), so valid-looking data may get 422."""
    if case.path == "/v1/chat/completions":
        return [positive_data_acceptance]
    return []


def test_the_api_keeps_its_own_schema(serve: Serve) -> None:
    tried = passed = 0
    with serve() as api:
        schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 8
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @given(case=operation.as_strategy(generation_mode=mode))
                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    derandomize=True,
                    database=None,
                )
                def run(case: schemathesis.Case) -> None:
                    nonlocal tried, passed
                    tried += 1
                    case.call_and_validate(timeout=60, excluded_checks=relaxed(case))
                    passed += 1

                try:
                    run()
                except Unsatisfiable:  # nothing in this operation can be made invalid
                    assert mode is GenerationMode.NEGATIVE, operation.label
    print(f"\nschemathesis: {tried} cases tried, {passed} passed, {len(operations)} operations")
    assert tried >= 8 * EXAMPLES
