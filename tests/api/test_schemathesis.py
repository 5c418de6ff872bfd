"""Schemathesis against the API's own OpenAPI schema: no request gets a 5xx.

Every operation in ``/api/v1/openapi.json`` is called in-process (ASGI, no server) with an
owner token, with data Schemathesis derives from the schema: examples, the coverage phase's
boundary and invalid values, and Hypothesis fuzzing. Two checks run on every response:
``not_a_server_error`` and ``response_schema_conformance`` (a documented status's body matches
its schema). Undocumented statuses (401, 404, 409, ...) are not checked: the API answers them
with its one error shape, documented in docs/api.md rather than per operation. No operation is
skipped: ids are random strings no generated value will hit, so nothing the run needs (the
token it signs with) gets deleted, and the two multipart uploads get 4xx for what they send.

Phone numbers (and a few closed lists: channel, purpose, method) are inputs the schema leaves
as free strings for the core to judge, so most generated values would stop at a 422;
``_realistic`` swaps two in three of them for real ones, so the checks also reach the consent,
suppression and policy code behind them.

Runs on SQLite, and on PostgreSQL too when configured: the first 5xx it found was PostgreSQL's
"integer out of range" for an audit cursor past the 32-bit event id.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from phonelist import Phonelist
from phonelist.api.app import API_PREFIX, create_app
from tests.api.client import bearer, new_token
from tests.conftest import BACKENDS

NUMBERS = ("+447700900123", "+14155552671", "+33612345678", "07700900123", "+351912345678")
# Free strings in the schema whose values the core checks against a closed list.
CHOICES = {
    "channel": ("sms", "voice"),
    "purpose": ("marketing", "informational"),
    "method": ("web_form", "double_opt_in", "api", "verbal"),
}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Both backends: PostgreSQL is stricter about what reaches it (types, ranges)."""
    return str(request.param)


@pytest.fixture
def api_schema(core: Phonelist) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi(f"{API_PREFIX}/openapi.json", create_app(core))


@pytest.fixture
def owner_headers(core: Phonelist) -> dict[str, str]:
    return bearer(new_token(core))


def _realistic(value: Any, key: str = "") -> Any:
    """``value`` with two in three strings under a number key made real numbers.

    Likewise for the closed lists in ``CHOICES``. Deterministic (chosen by the generated
    string's length), so a failure replays; the third keeps Schemathesis's own value.
    """
    if isinstance(value, dict):
        return {k: _realistic(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_realistic(v, key) for v in value]
    if not isinstance(value, str) or not len(value) % 3:
        return value
    if "number" in key.lower() or "phone" in key.lower():
        return NUMBERS[len(value) % len(NUMBERS)]
    if key in CHOICES:
        return CHOICES[key][len(value) % len(CHOICES[key])]
    return value


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, database=None)
def test_no_server_errors(case: schemathesis.Case, owner_headers: dict[str, str]) -> None:
    if isinstance(case.body, dict | list):
        case.body = _realistic(case.body)
    if case.path_parameters:
        case.path_parameters = _realistic(case.path_parameters)
    if case.query:
        case.query = _realistic(case.query)
    case.call_and_validate(
        headers=owner_headers, checks=[not_a_server_error, response_schema_conformance]
    )
