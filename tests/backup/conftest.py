"""A populated store (both backends) and a second, empty one to restore into."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from phonelist import Phonelist, Settings, load_settings
from phonelist.backup.format import load_or_create_backup_key
from phonelist.consent.commands import Grant, Revoke
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.schemas import validate_input
from phonelist.security.permissions import Actor
from phonelist.store.models import Base
from tests import pg

PAST = dt.datetime(2026, 10, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
PEOPLE: list[dict[str, Any]] = [
    {
        "first_name": "Maria",
        "last_name": "Silva",
        "phones": ["+351912345001"],
        "country": "PT",
        "city": "Lisboa",
        "status": "customer",
        "tags": ["vip", "newsletter"],
        "lists": ["events"],
        "custom": {"plan": "pro", "score": 42.5, "secret": "hush"},
        "emails": ["maria@example.org"],
    },
    {"first_name": "João", "phones": ["+351912345002"], "country": "PT", "tags": ["newsletter"]},
    {"first_name": "Bob", "phones": ["+14155550104", "+14155550199"], "country": "US"},
    {"display_name": "No Phone", "emails": ["nophone@example.org"], "status": "lead"},
]


@pytest.fixture
def world(core: Phonelist, actor: Actor) -> Phonelist:
    core.fields.define(actor, "plan", "choice", choices=["free", "pro"])
    core.fields.define(actor, "score", "number")
    core.fields.define(actor, "secret", "text", sensitive=True)
    for person in PEOPLE:
        core.contacts.apply(actor, CreateContact(validate_input(ContactIn, person)))
    for number in ("+351912345001", "+351912345002", "+14155550104"):
        core.consent.apply(
            actor, Grant(number, "sms", "marketing", "web_form", occurred_at=PAST), PAST
        )
    core.consent.apply(actor, Revoke("+351912345002", "agent"), PAST + dt.timedelta(days=1))
    core.suppressions.add(actor, "+14155550104")
    core.segments.save(actor, "vips", "tag = vip")
    return core


@pytest.fixture
def empty_settings(core: Phonelist, tmp_path: Path, backend: str) -> Iterator[Settings]:
    """A new data directory holding only a copy of the first store's keys; no database yet."""
    data_dir = tmp_path / "restored"
    data_dir.mkdir(mode=0o700)
    load_or_create_backup_key(core.settings.resolved_keys_dir)
    shutil.copytree(core.settings.resolved_keys_dir, data_dir / "keys")
    url = pg.create_database() if backend == "postgres" else None
    yield load_settings(data_dir=data_dir, database_url=url)
    if url:
        pg.drop_database(url)


def table_rows(core: Phonelist) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order; contact_facts without its own id.

    Leaves out what a restore adds: its ``backup.restore`` audit events and the chain heads
    they move (tests/backup/test_restore_audit.py checks those).
    """
    found: dict[str, list[tuple[Any, ...]]] = {}
    with core.store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name == "audit_heads":
                continue
            columns = [
                c for c in table.columns if not (table.name == "contact_facts" and c.name == "id")
            ]
            order = (
                [table.c.contact_id] if table.name == "contact_facts" else list(table.primary_key)
            )
            query = sa.select(*columns).order_by(*order)
            if table.name == "audit_events":
                query = query.where(table.c.action != "backup.restore")
            found[table.name] = [tuple(r) for r in conn.execute(query)]
    return found
