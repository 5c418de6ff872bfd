"""Fixtures: the ``phonelist`` command pointed at a fresh SQLite store.

The CLI is a face: it parses arguments and renders what the core answers. The core's reads and
writes run on SQLite and PostgreSQL in the service and API tests; running every CLI test twice
too doubled CI time for no code that differs, so CLI tests use SQLite only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from phonelist import Settings
from phonelist.bootstrap import initialize
from tests.cli.helpers import Cli
from tests.conftest import OWNER_PASSWORD


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def blank_cli(settings: Settings) -> Cli:
    """A CLI pointed at a data directory and database where ``init`` never ran."""
    return Cli(settings)


@pytest.fixture
def cli(settings: Settings, sqlite_template: Path) -> Cli:
    """A CLI pointed at an initialised store (a copy of the session's template)."""
    if settings.database_url is None and not settings.data_dir.exists():
        shutil.copytree(sqlite_template, settings.data_dir)  # keeps the 0600/0700 modes
    else:
        initialize(settings, owner_password=OWNER_PASSWORD)
    return Cli(settings)
