"""Throw-away PostgreSQL databases for tests, on the server named by PHONELIST_TEST_POSTGRES_URL."""

from __future__ import annotations

import os
import uuid

import psycopg
from sqlalchemy.engine import make_url

ENV = "PHONELIST_TEST_POSTGRES_URL"


def base_url() -> str | None:
    url = os.environ.get(ENV)
    if not url:
        return None
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _admin_conninfo(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(prefix: str = "phonelist_t") -> str:
    """Create an empty database next to the configured one; returns its SQLAlchemy URL."""
    url = base_url()
    assert url, f"{ENV} is not set"
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_conninfo(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    name = make_url(url).database
    admin = make_url(base_url() or url)
    with psycopg.connect(
        _admin_conninfo(admin.render_as_string(hide_password=False)), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
