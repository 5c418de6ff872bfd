"""docs/cli.md is generated from the command tree and kept current; every command has help."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import typer.main

from phonelist.cli.main import app

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gen_cli_docs.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands(command: Any, path: str = "phonelist") -> list[tuple[str, Any]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, f"{path} {name}")
    return found


def test_cli_md_is_current() -> None:
    generator = _generator()
    assert generator.check(), "docs/cli.md is stale: run scripts/gen_cli_docs.py"
    assert generator.main(["--check"]) == 0


def test_every_command_has_help_and_a_section() -> None:
    text = (SCRIPT.parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = _commands(typer.main.get_command(app))
    assert len(commands) > 15
    for path, command in commands:
        assert (command.help or "").strip(), f"{path} has no help text"
        assert f"`{path}`" in text, f"{path} is missing from docs/cli.md"
        for param in command.params:
            assert (getattr(param, "help", None) or "").strip(), f"{path} {param.name}: no help"


def test_check_fails_on_stale_docs(tmp_path: Path) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text("# out of date\n", encoding="utf-8")
    assert not _generator().check(stale)
