"""A browser-like client (cookies kept, redirects not followed) over a fresh SQLite core.

The pages are a face: the core they call runs on both backends in the service tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phonelist import Phonelist
from tests.api.client import TestClient, client_for


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def browser(core: Phonelist) -> Iterator[TestClient]:
    with client_for(core) as client:
        client.follow_redirects = False
        yield client
