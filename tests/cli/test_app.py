"""What every command shares: init, settings, the not-initialised error, error rendering."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from phonelist import Phonelist, __version__
from phonelist.contacts import ContactService
from phonelist.core import DEFAULT_WORKSPACE
from tests.cli.helpers import Cli, one_line_error


def test_version(blank_cli: Cli) -> None:
    result = blank_cli("--version")
    assert (result.exit_code, result.stdout.strip()) == (0, f"phonelist {__version__}")


def test_init_twice(blank_cli: Cli) -> None:
    first = blank_cli("init")
    assert first.exit_code == 0, first.stderr
    assert "store it now, it is not shown again" in first.stdout
    password = first.stdout.strip().splitlines()[-1]
    with Phonelist.open(blank_cli.settings) as core:
        assert core.users.sign_in(DEFAULT_WORKSPACE, "owner", password).role == "owner"
    second = blank_cli("init")
    assert second.exit_code == 0
    assert "already initialised" in second.stdout
    assert password not in second.stdout
    assert blank_cli.json("init")["already_initialized"] is True


def test_init_with_password_on_stdin(blank_cli: Cli) -> None:
    password = "a long enough passphrase"
    result = blank_cli.json("init", "--owner", "admin", "--password-stdin", input=password + "\n")
    assert result["created_owner"] == "admin" and result["generated_password"] is None
    with Phonelist.open(blank_cli.settings) as core:
        assert core.users.sign_in(DEFAULT_WORKSPACE, "admin", password).role == "owner"


def test_init_prompts_at_a_terminal(blank_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("phonelist.cli.system.is_interactive", lambda: True)
    password = "typed at the prompt"
    result = blank_cli("init", input=f"{password}\n{password}\n")
    assert result.exit_code == 0, result.stderr
    assert password not in result.output
    assert "not shown again" not in result.stdout
    with Phonelist.open(blank_cli.settings) as core:
        assert core.users.sign_in(DEFAULT_WORKSPACE, "owner", password).role == "owner"


def test_init_refuses_a_short_password(blank_cli: Cli) -> None:
    result = blank_cli("init", "--password-stdin", input="short\n")
    assert result.exit_code == 5
    assert "password must have at least" in one_line_error(result)


@pytest.mark.parametrize(
    "args",
    [
        ["contacts", "list"],
        ["contacts", "add", "--name", "Ana"],
        ["search", "ana"],
        ["tokens", "list"],
        ["fields", "list"],
        ["keys", "rotate"],
    ],
)
def test_commands_need_init(blank_cli: Cli, args: list[str]) -> None:
    result = blank_cli(*args)
    assert result.exit_code == 6
    assert "run 'phonelist init' first" in one_line_error(result)
    as_json = blank_cli(*args, "--json")
    assert json.loads(as_json.stdout)["error"]["code"] == "config_error"


def test_data_dir_option_overrides_the_environment(cli: Cli) -> None:
    contact = cli.add("--name", "Ana")
    elsewhere = Cli(cli.settings.model_copy(update={"data_dir": cli.settings.data_dir / "no"}))
    assert elsewhere("contacts", "list").exit_code == 6
    result = elsewhere("--data-dir", str(cli.settings.data_dir), "contacts", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert [c["id"] for c in json.loads(result.stdout)["items"]] == [contact["id"]]


def test_bad_settings_are_a_config_error(cli: Cli) -> None:
    cli.runner.env = {"PHONELIST_DEFAULT_REGION": "Portugal"}
    result = cli("contacts", "list")
    assert result.exit_code == 6
    assert "invalid setting default_region" in one_line_error(result)


def test_unexpected_failures_are_one_line(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal detail that must not be shown")

    monkeypatch.setattr(ContactService, "page", explode)
    result = cli("contacts", "list")
    assert result.exit_code == 1
    assert one_line_error(result) == "error: unexpected failure: RuntimeError"
    assert "internal detail" not in result.output
    as_json = cli("contacts", "list", "--json")
    assert json.loads(as_json.stdout)["error"]["code"] == "unexpected"


def test_ctrl_c_exits_130(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ContactService, "page", interrupt)
    result = cli("contacts", "list")
    assert result.exit_code == 130
    assert one_line_error(result) == "error: interrupted"


def test_usage_errors_exit_2(cli: Cli) -> None:
    assert cli("contacts", "frobnicate").exit_code == 2
    assert cli("contacts", "add", "--nonsense").exit_code == 2
    assert cli("contacts", "show").exit_code == 2


def test_serve_hands_the_settings_to_the_server(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(
        "phonelist.server.run",
        lambda settings, *, host, port: calls.append((settings.data_dir, host, port)),
    )
    result = cli("serve", "--host", "0.0.0.0", "--port", "8123")
    assert result.exit_code == 0, result.stderr
    assert cli("serve").exit_code == 0
    data_dir = cli.settings.data_dir
    assert calls == [(data_dir, "0.0.0.0", 8123), (data_dir, None, None)]


def test_serve_reports_a_bad_setting(cli: Cli) -> None:
    cli.runner.env = {"PHONELIST_LOG_LEVEL": "chatty"}
    result = cli("serve")
    assert result.exit_code == 6
    assert "log_level must be one of" in one_line_error(result)


def _run_process(
    cli: Cli, *args: bytes | str, encoding: str = "utf-8"
) -> subprocess.CompletedProcess[bytes]:
    """Run the real entry point in a child process, with real bytes in argv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHONELIST_")}
    env.update({k: v for k, v in cli.env.items() if v is not None})
    env["PYTHONIOENCODING"] = encoding
    code = "from phonelist.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, check=False
    )


def test_real_process_with_invalid_utf8_in_argv(cli: Cli) -> None:
    done = _run_process(cli, "contacts", "add", "--name", b"Ana \xff")
    assert done.returncode == 5
    assert (
        done.stderr
        == b"error: --name is not valid UTF-8 (the shell passed bytes that are not text)\n"
    )
    assert done.stdout == b""
    assert cli.count_contacts() == 0


def test_real_process_on_a_terminal_that_cannot_show_the_text(cli: Cli) -> None:
    contact = cli.add("--name", "Ana 📞 Gonçalves")
    human = _run_process(cli, "contacts", "show", contact["id"], encoding="ascii")
    assert human.returncode == 0, human.stderr
    assert b"Ana \\U0001f4de Gon\\xe7alves" in human.stdout  # escaped, not a crash
    as_json = _run_process(cli, "contacts", "show", contact["id"], "--json", encoding="ascii")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout.decode("utf-8"))["display_name"] == "Ana 📞 Gonçalves"
