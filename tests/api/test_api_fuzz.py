"""Schemathesis against the shop's own OpenAPI, as the demo customer and as a demo merchant.

Every operation gets a few generated requests (valid and not) per role: none may answer a 5xx,
and every status answered must be one the document lists. `bench/fuzz_api.py` runs the same
target with many more examples.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.api.fuzzing import ROLES, STREAMS, FuzzTarget, fuzz_target

EXAMPLES_PER_OPERATION = 10
"""Per operation and role, valid and invalid requests mixed: some 35 operations stay within a minute or so
per role on two cores."""

FUZZING = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    with fuzz_target(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


def _failures(operation: schemathesis.APIOperation, headers: dict[str, str]) -> list[str]:
    """What the checks found on one operation (empty when it held); hypothesis shrinks each to its simplest case."""

    both = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )

    @given(case=both)
    @FUZZING
    def holds(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error, status_code_conformance])

    try:
        holds()
    except (AssertionError, ExceptionGroup) as found:
        return [f"{operation.label}: {found}"]
    return []


@pytest.mark.parametrize("role", ROLES)
def test_no_generated_request_gets_a_server_error_or_an_undocumented_status(target: FuzzTarget, role: str) -> None:
    # given the shop's own OpenAPI document
    schema = schemathesis.openapi.from_url(target.schema_url)
    operations = [
        operation
        for operation in (result.ok() for result in schema.get_all_operations())
        if operation.path not in STREAMS.get(role, ())
    ]
    # when each operation is called with generated requests, as this role
    found = [failure for operation in operations for failure in _failures(operation, target.headers(role))]
    # then none answered a 5xx or a status its document does not list
    assert len(operations) > 30
    assert found == []
