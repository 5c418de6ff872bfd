"""API tokens through the CLI: the secret is shown once and works until revoked."""

from __future__ import annotations

import pytest

from phonelist import AuthenticationError, Phonelist
from phonelist.security.tokens import TOKEN_PREFIX
from tests.cli.helpers import Cli, one_line_error


def test_create_list_revoke(cli: Cli) -> None:
    created = cli.json("tokens", "create", "--role", "editor", "--name", "crm sync")
    secret, info = created["secret"], created["token"]
    assert secret.startswith(TOKEN_PREFIX) and info["role"] == "editor"
    assert info["expires_at"] is not None
    with Phonelist.open(cli.settings) as core:
        assert core.tokens.authenticate(secret).role == "editor"

    listed = cli.json("tokens", "list")
    assert [t["id"] for t in listed] == [info["id"]]
    assert secret not in cli("tokens", "list").stdout
    assert secret not in str(listed)

    revoked = cli.json("tokens", "revoke", info["id"])
    assert revoked["revoked_at"] is not None
    with Phonelist.open(cli.settings) as core, pytest.raises(AuthenticationError):
        core.tokens.authenticate(secret)
    assert cli("tokens", "revoke", info["id"]).exit_code == 0  # twice is harmless


def test_human_output_shows_the_secret_once_with_a_warning(cli: Cli) -> None:
    result = cli("tokens", "create", "--role", "viewer", "--name", "ro", "--no-expiry")
    assert result.exit_code == 0, result.stderr
    assert "not shown again" in result.stdout
    assert "never expires" in result.stdout
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith(TOKEN_PREFIX)
    assert "ro" in cli("tokens", "list").stdout


@pytest.mark.parametrize(
    ("args", "exit_code"),
    [
        (["--role", "boss", "--name", "x"], 2),
        (["--role", "viewer"], 2),
        (["--role", "viewer", "--name", "x", "--expires-days", "0"], 5),
        (["--role", "viewer", "--name", "x", "--expires-days", "5", "--no-expiry"], 2),
        (["--role", "viewer", "--name", "bad\x00name"], 5),
    ],
)
def test_bad_token_requests(cli: Cli, args: list[str], exit_code: int) -> None:
    result = cli("tokens", "create", *args)
    assert result.exit_code == exit_code
    assert cli.json("tokens", "list") == []


def test_revoking_an_unknown_token(cli: Cli) -> None:
    result = cli("tokens", "revoke", "01ABCDEFGHJKMNPQRSTVWXYZ00")
    assert result.exit_code == 3
    assert "no token with id" in one_line_error(result)
