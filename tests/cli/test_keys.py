"""keys rotate|generate and the keys init makes: data stays readable, rotation resumes."""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path

import pytest
from typer.testing import Result

from phonelist.cli.main import app
from phonelist.security.crypto import load_keyring
from phonelist.security.keystore import parse_keyring
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


def test_init_creates_the_backup_key_and_says_once_to_copy_the_keys(blank_cli: Cli) -> None:
    first = blank_cli("init")
    assert first.exit_code == 0, first.stderr
    keys = blank_cli.settings.resolved_keys_dir
    for name in ("keyring.json", "backup.key", "session.key"):
        assert (keys / name).stat().st_mode & 0o777 == 0o600, name
    assert keys.stat().st_mode & 0o777 == 0o700
    assert len(bytes.fromhex((keys / "backup.key").read_text())) == 32
    advice = "Copy the keys directory (keyring.json and backup.key) somewhere safe"
    assert advice in " ".join(first.stdout.split())
    backup_key = (keys / "backup.key").read_text()
    second = blank_cli("init")
    assert second.exit_code == 0 and "Copy the keys directory" not in second.stdout
    assert (keys / "backup.key").read_text() == backup_key  # never replaced

    (keys / "backup.key").unlink()  # an older data directory, from before init made it
    third = blank_cli.json("init")
    assert third["created_backup_key"] is True and third["already_initialized"] is False
    assert (keys / "backup.key").stat().st_mode & 0o777 == 0o600


def _env_cli(cli: Cli, keyring_text: str) -> functools.partial[Result]:
    env = {**cli.env, "PHONELIST_KEYS_PROVIDER": "env", "PHONELIST_KEYRING": keyring_text}
    return functools.partial(_invoke, cli, env)


def _invoke(cli: Cli, env: dict[str, str | None], *args: str) -> Result:
    return cli.runner.invoke(app, list(args), env=env)


def test_rotate_with_an_env_keyring(cli: Cli, tmp_path: Path) -> None:
    contact = cli.add("--name", "Ana Lima", "--phone", "+351912345678")
    keys_dir = cli.settings.resolved_keys_dir
    original = load_keyring(keys_dir)
    run = _env_cli(cli, original.to_json())
    refused = run("keys", "rotate")
    assert refused.exit_code == 2
    message = one_line_error(refused)
    assert "PHONELIST_KEYRING" in message and "keys rotate --to FILE" in message
    for key in [*original.data_keys.values(), original.index_key]:
        assert base64.b64encode(key).decode() not in refused.output

    staging = tmp_path / "next.json"
    staged = run("keys", "rotate", "--to", str(staging))
    assert staged.exit_code == 0, staged.stderr
    assert "Nothing is re-encrypted yet" in " ".join(staged.stdout.split())
    run = _env_cli(cli, base64.b64encode(staging.read_bytes()).decode())  # base64 works too
    finished = run("keys", "rotate", "--to", str(staging), "--json")
    assert finished.exit_code == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert report["retired_keys"] == ["k1"] and report["rewritten"] >= 2
    run = _env_cli(cli, staging.read_text())
    shown = run("contacts", "show", contact["id"], "--json")
    assert json.loads(shown.stdout) == contact
    assert load_keyring(keys_dir).to_json() == original.to_json()  # the file was not used


def test_generate_a_keyring(cli: Cli, tmp_path: Path) -> None:
    printed = cli("keys", "generate")
    assert printed.exit_code == 0
    keyring = parse_keyring(printed.stdout, "stdout")
    assert set(keyring.data_keys) == {"k1"}
    one_line = cli("keys", "generate", "--base64").stdout.strip()
    assert "\n" not in one_line and parse_keyring(one_line, "stdout").active == "k1"

    target = tmp_path / "keyring.json"
    written = cli("keys", "generate", "--to", str(target))
    assert written.exit_code == 0 and written.stdout == ""
    assert target.stat().st_mode & 0o777 == 0o600
    assert parse_keyring(target.read_text(), "file").data_keys != keyring.data_keys
    again = cli("keys", "generate", "--to", str(target))
    assert again.exit_code != 0 and "exists" in one_line_error(again)
