"""An app around a fresh core and an owner token.

The API is a face over the core, whose reads and writes run on SQLite and PostgreSQL in the
service tests; API tests use SQLite, except the modules that prove what only a shared server
shows (concurrent requests, the error shape of database failures), which set ``backend`` to
both.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phonelist import Phonelist
from tests.api.client import TestClient, bearer, client_for, new_token


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def token(core: Phonelist) -> str:
    return new_token(core)


@pytest.fixture
def client(core: Phonelist, token: str) -> Iterator[TestClient]:
    """Signed with an owner token."""
    with client_for(core) as test_client:
        test_client.headers.update(bearer(token))
        yield test_client


@pytest.fixture
def anonymous(core: Phonelist) -> Iterator[TestClient]:
    with client_for(core) as test_client:
        yield test_client
