"""Fixtures: the ``phonelist`` command pointed at a fresh store (SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest

from phonelist import Settings
from phonelist.bootstrap import initialize
from tests.cli.helpers import Cli
from tests.conftest import OWNER_PASSWORD


@pytest.fixture
def blank_cli(settings: Settings) -> Cli:
    """A CLI pointed at a data directory and database where ``init`` never ran."""
    return Cli(settings)


@pytest.fixture
def cli(settings: Settings) -> Cli:
    """A CLI pointed at an initialised store."""
    initialize(settings, owner_password=OWNER_PASSWORD)
    return Cli(settings)
