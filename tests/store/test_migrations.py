"""The schema comes from migrations, on both backends, and the models agree with them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from phonelist.store import build_engine
from phonelist.store.migrate import current_revision, head_revision, upgrade
from phonelist.store.models import Base
from tests import pg


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = pg.create_database("phonelist_mig")
    yield url
    pg.drop_database(url)


def test_upgrade_from_empty_reaches_head(empty_url: str) -> None:
    engine = build_engine(empty_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    upgrade(engine)  # applying again on start is a no-op
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_models_and_migrations_agree(empty_url: str) -> None:
    engine = build_engine(empty_url)
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    engine.dispose()
