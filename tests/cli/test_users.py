"""``phonelist users``: add, list, disable, role, reset-password, and TOTP."""

from __future__ import annotations

import pyotp
import pytest

from phonelist import Phonelist
from phonelist.core import DEFAULT_WORKSPACE
from phonelist.errors import AuthenticationError
from tests.cli.helpers import Cli, one_line_error

PASSWORD = "a long enough password"


def can_sign_in(cli: Cli, username: str, password: str, code: str | None = None) -> bool:
    with Phonelist.open(cli.settings) as core:
        try:
            core.users.sign_in(DEFAULT_WORKSPACE, username, password, code)
        except AuthenticationError:
            return False
        return True


def test_add_with_a_password_from_stdin_and_list(cli: Cli) -> None:
    added = cli.json("users", "add", "ana", "--role", "agent", "--password-stdin", input=PASSWORD)

    assert added["role"] == "agent"
    assert "password" not in added
    listed = {u["username"]: u for u in cli.json("users", "list")}
    assert listed["ana"]["role"] == "agent"
    assert listed["ana"]["totp_enabled"] is False
    assert "password_hash" not in listed["ana"]
    assert can_sign_in(cli, "ana", PASSWORD)
    table = cli("users", "list")
    assert table.exit_code == 0
    assert "ana" in table.stdout


def test_add_without_a_password_prints_a_generated_one_once(cli: Cli) -> None:
    result = cli("users", "add", "ana", "--role", "editor")

    assert result.exit_code == 0, result.stderr
    password = result.stdout.strip().splitlines()[-1]
    assert can_sign_in(cli, "ana", password)


def test_add_twice_is_a_conflict(cli: Cli) -> None:
    cli.json("users", "add", "ana", "--role", "agent")
    result = cli("users", "add", "ana", "--role", "agent")

    assert result.exit_code != 0
    assert "already exists" in one_line_error(result)


def test_role_and_disable(cli: Cli) -> None:
    cli.json("users", "add", "ana", "--role", "agent", "--password-stdin", input=PASSWORD)

    assert cli.json("users", "role", "ana", "editor")["role"] == "editor"
    assert cli.json("users", "disable", "ana")["disabled_at"] is not None
    assert not can_sign_in(cli, "ana", PASSWORD)


def test_the_last_owner_can_not_be_disabled(cli: Cli) -> None:
    result = cli("users", "disable", "owner")

    assert result.exit_code != 0
    assert "at least one active owner" in one_line_error(result)


@pytest.mark.parametrize("from_stdin", [True, False])
def test_reset_password(cli: Cli, from_stdin: bool) -> None:
    cli.json("users", "add", "ana", "--role", "agent", "--password-stdin", input=PASSWORD)
    args = ["users", "reset-password", "ana"]
    if from_stdin:
        out = cli.json(*args, "--password-stdin", input="a brand new password\n")
        new = "a brand new password"
        assert "password" not in out
    else:
        new = cli.json(*args)["password"]

    assert can_sign_in(cli, "ana", new)
    assert not can_sign_in(cli, "ana", PASSWORD)


def test_reset_password_of_nobody_is_not_found(cli: Cli) -> None:
    result = cli("users", "reset-password", "nobody")

    assert result.exit_code != 0
    assert "no user 'nobody'" in one_line_error(result)


def test_totp_enable_confirm_disable(cli: Cli) -> None:
    cli.json("users", "add", "ana", "--role", "agent", "--password-stdin", input=PASSWORD)
    shown = cli("users", "totp", "enable", "ana")
    assert shown.exit_code == 0, shown.stderr
    uri = next(line for line in shown.stdout.splitlines() if line.startswith("otpauth://"))
    generator = pyotp.parse_uri(uri)
    assert isinstance(generator, pyotp.TOTP)

    assert cli("users", "totp", "confirm", "ana", "12345").exit_code != 0
    assert cli.json("users", "totp", "confirm", "ana", generator.now())["totp_enabled"]

    assert not can_sign_in(cli, "ana", PASSWORD)
    assert can_sign_in(cli, "ana", PASSWORD, generator.now())
    cli.json("users", "totp", "disable", "ana")
    assert can_sign_in(cli, "ana", PASSWORD)


def test_every_users_command_has_help(cli: Cli) -> None:
    for args in (["users"], ["users", "totp"]):
        result = cli(*args, "--help")
        assert result.exit_code == 0
        assert "Usage" in result.stdout
