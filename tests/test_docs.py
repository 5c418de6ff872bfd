"""The docs keep up with the code."""

from __future__ import annotations

from pathlib import Path

from phonelist.config import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [name for name in Settings.model_fields if f"`{name}`" not in text]
    assert missing == []


def test_readme_names_the_commands_ci_runs() -> None:
    root = DOCS.parent
    readme = (root / "README.md").read_text()
    ci = (root / ".ci" / "run").read_text()
    test_command = "pip install -e '.[test]' && scripts/check"
    assert test_command in readme and test_command in ci
    assert "pip install . && phonelist serve" in readme
