"""Database failures become StoreError at the store boundary; nothing from SQLAlchemy escapes."""

from __future__ import annotations

import pytest

from phonelist import ConfigError, StoreError, load_settings
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.service import ContactService
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
