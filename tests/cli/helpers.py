"""Drive the real ``phonelist`` command in-process, against the store of a test."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from phonelist import Phonelist, Settings
from phonelist.cli.main import app
from phonelist.store.models import Contact


@dataclass
class Cli:
    """Runs ``phonelist ARGS...`` in-process with the data directory and database of a test."""

    settings: Settings
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def env(self) -> dict[str, str | None]:
        return {
            "PHONELIST_DATA_DIR": str(self.settings.data_dir),
            "PHONELIST_DATABASE_URL": self.settings.database_url,
            "PHONELIST_CONFIG": None,
            "PHONELIST_KEYS_DIR": None,
        }

    def __call__(self, *args: str, input: str | bytes | None = None) -> Result:
        return self.runner.invoke(app, list(args), env=self.env, input=input)

    def json(self, *args: str, input: str | None = None) -> Any:
        """Run with --json; the command must succeed. Returns the parsed stdout."""
        result = self(*args, "--json", input=input)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        return json.loads(result.stdout)

    def add(self, *args: str) -> dict[str, Any]:
        contact: dict[str, Any] = self.json("contacts", "add", *args)
        return contact

    def count_contacts(self) -> int:
        with Phonelist.open(self.settings) as core, core.store.read() as session:
            return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


def one_line_error(result: Result) -> str:
    """The error a failed command printed: exactly one line on stderr, starting 'error: '."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.output
    return lines[0]
