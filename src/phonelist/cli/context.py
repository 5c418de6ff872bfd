"""What every command needs: the settings (with ``--data-dir`` applied) and an open core."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer

from phonelist.bootstrap import is_initialized
from phonelist.config import Settings, load_settings
from phonelist.core import Phonelist
from phonelist.errors import ConfigError

__all__ = ["CliState", "open_core", "settings_of"]


@dataclass(frozen=True, slots=True)
class CliState:
    """The global options, kept on the root click context by the top-level callback."""

    data_dir: Path | None = None


def settings_of(ctx: typer.Context) -> Settings:
    """Settings from the environment and config file, with ``--data-dir`` taking precedence."""
    state = ctx.find_root().obj
    data_dir = state.data_dir if isinstance(state, CliState) else None
    if data_dir is None:
        return load_settings()
    return load_settings(data_dir=data_dir)


def require_initialized(settings: Settings) -> None:
    if not is_initialized(settings):
        raise ConfigError(
            f"phonelist is not initialised in {settings.data_dir}: run 'phonelist init' first "
            "(or point --data-dir / PHONELIST_DATA_DIR at an initialised data directory)"
        )


@contextmanager
def open_core(ctx: typer.Context) -> Iterator[Phonelist]:
    """The core for this invocation; refuses with a hint when ``phonelist init`` never ran."""
    settings = settings_of(ctx)
    require_initialized(settings)
    with Phonelist.open(settings) as core:
        yield core
