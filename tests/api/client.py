"""Helpers shared by tests/api and tests/web: a test client, tokens, counting contacts."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.exceptions import StarletteDeprecationWarning

from phonelist import Phonelist
from phonelist.api.app import create_app
from phonelist.security.permissions import Role

with warnings.catch_warnings():
    # Starlette asks for httpx2 under its TestClient; httpx, which phonelist depends on,
    # still works, and the warning would fail every test (warnings are errors).
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["TestClient", "bearer", "client_for", "contact_count", "new_token"]


@contextmanager
def client_for(core: Phonelist) -> Iterator[TestClient]:
    with TestClient(create_app(core)) as client:
        yield client


def new_token(core: Phonelist, role: Role = Role.OWNER, expires_in_days: int | None = 90) -> str:
    _, secret = core.tokens.create(
        core.cli_actor(), f"test {role.value}", role, expires_in_days=expires_in_days
    )
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def contact_count(core: Phonelist) -> int:
    return len(core.contacts.page(core.cli_actor(), limit=500).items)
