"""Fixtures: a fresh phonelist core on SQLite (always) and PostgreSQL (when configured)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from phonelist import Phonelist, Settings, load_settings
from phonelist.bootstrap import initialize
from phonelist.security.permissions import Actor
from phonelist.store import build_engine
from phonelist.store.models import Base
from tests import pg

OWNER_PASSWORD = "correct horse battery staple"
BACKENDS = ["sqlite"] + (["postgres"] if pg.base_url() else [])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """One database for the whole run; tests empty it between them."""
    if not pg.base_url():
        yield None
        return
    url = pg.create_database("phonelist_run")
    yield url
    pg.drop_database(url)


def _empty_postgres(url: str) -> None:
    engine = build_engine(url)
    with engine.begin() as conn:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        exists = conn.execute(text("SELECT to_regclass('public.workspaces')")).scalar()
        if exists:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, backend: str, postgres_url: str | None) -> Settings:
    database_url = None
    if backend == "postgres":
        assert postgres_url
        _empty_postgres(postgres_url)
        database_url = postgres_url
    return load_settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised SQLite data directory, copied for each test (init costs ~0.5 s)."""
    data_dir = tmp_path_factory.mktemp("template") / "data"
    initialize(load_settings(data_dir=data_dir), owner_password=OWNER_PASSWORD)
    return data_dir


@pytest.fixture
def core(settings: Settings, backend: str, sqlite_template: Path) -> Iterator[Phonelist]:
    if backend == "sqlite" and not settings.data_dir.exists():
        shutil.copytree(sqlite_template, settings.data_dir)  # keeps the 0600/0700 modes
    else:
        initialize(settings, owner_password=OWNER_PASSWORD)
    with Phonelist.open(settings) as opened:
        yield opened


@pytest.fixture
def actor(core: Phonelist) -> Actor:
    return core.cli_actor()
