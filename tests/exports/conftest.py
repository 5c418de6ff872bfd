"""Fixtures: the CLI and an API client over the test's store (SQLite, and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phonelist import Phonelist, Settings
from tests.api.client import TestClient, bearer, client_for, new_token
from tests.cli.helpers import Cli


@pytest.fixture
def cli(core: Phonelist, settings: Settings) -> Cli:
    """The ``phonelist`` command, on the same store as ``core``."""
    return Cli(settings)


@pytest.fixture
def client(core: Phonelist) -> Iterator[TestClient]:
    """Signed with an owner token."""
    with client_for(core) as test_client:
        test_client.headers.update(bearer(new_token(core)))
        yield test_client
