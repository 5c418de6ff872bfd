"""Database failures become StoreError at the store boundary; nothing from SQLAlchemy escapes."""

from __future__ import annotations

import contextlib

import pytest

from phonelist import ConfigError, Phonelist, StoreError, load_settings
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.service import ContactService
from phonelist.errors import NotFound, ValidationError
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Role
from phonelist.store import Store, build_engine


def test_unreachable_database_is_a_store_error() -> None:
    store = Store(build_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    service = ContactService(store, Keyring.generate())
    owner = Actor(workspace_id=1, role=Role.OWNER, kind="cli", ref="t")
    with pytest.raises(StoreError, match="unavailable"):
        service.apply(owner, CreateContact(ContactIn(first_name="X")))


def test_settings_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="default_region"):
        load_settings(default_region="Portugal")


LOOKUPS = {
    "segment": lambda core, actor: core.segments.get(actor, "a\x00"),
    "import job": lambda core, actor: core.imports.job(actor, "a\x00"),
    "suppressions": lambda core, actor: core.suppressions.entries(actor, kind="a\x00"),
    "reviews": lambda core, actor: core.inbound.reviews(actor, status="a\x00"),
}


@pytest.mark.parametrize("lookup", list(LOOKUPS))
def test_a_nul_in_the_input_is_a_validation_error(
    core: Phonelist, actor: Actor, backend: str, lookup: str
) -> None:
    """Found by schemathesis: PostgreSQL refuses a NUL in a text parameter; that was a 503.

    Now a ValidationError (422) there; SQLite takes the NUL and finds nothing.
    """
    if backend == "postgres":
        with pytest.raises(ValidationError, match="NUL"):
            LOOKUPS[lookup](core, actor)
        return
    with contextlib.suppress(NotFound):  # SQLite takes the NUL and finds nothing
        LOOKUPS[lookup](core, actor)
