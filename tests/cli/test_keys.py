"""Key rotation through the CLI: data stays readable, and an interrupted run resumes."""

from __future__ import annotations

import functools

import pytest

from phonelist.security.rotation import KeyRotation
from tests.cli.helpers import Cli, one_line_error


def test_rotate_keeps_data_readable(cli: Cli) -> None:
    cli.json("fields", "add", "secret", "--type", "text", "--sensitive")
    contact = cli.add(
        "--name", "Ana Lima", "--phone", "+351 912 345 678", "--email", "ana@example.org",
        "--note", "a note", "--field", "secret=hidden",
    )  # fmt: skip
    report = cli.json("keys", "rotate")
    assert report["active_key"] == "k2" and report["retired_keys"] == ["k1"]
    assert report["rewritten"] >= 5
    assert cli.json("contacts", "show", contact["id"]) == contact
    assert [c["id"] for c in cli.json("search", "+351912345678")["items"]] == [contact["id"]]

    human = cli("keys", "rotate")
    assert human.exit_code == 0, human.stderr
    assert "retired keys: k2" in human.stdout
    assert cli.json("contacts", "show", contact["id"]) == contact


def test_interrupted_rotation_resumes(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    contacts = [cli.add("--name", f"Person {n}", "--note", "n") for n in range(3)]
    interrupted_run = functools.partialmethod(KeyRotation.run, stop_after_batches=1)
    monkeypatch.setattr(KeyRotation, "run", interrupted_run)
    result = cli("keys", "rotate")
    assert result.exit_code == 130
    assert "run 'phonelist keys rotate' again to resume" in one_line_error(result)
    monkeypatch.undo()

    for contact in contacts:  # readable half-way
        assert cli.json("contacts", "show", contact["id"]) == contact
    report = cli.json("keys", "rotate")
    assert report["resumed"] is True and report["retired_keys"] == ["k1"]
    for contact in contacts:
        assert cli.json("contacts", "show", contact["id"]) == contact
