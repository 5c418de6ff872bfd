"""``phonelist users ...``: accounts for the web pages, their roles, passwords and TOTP."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, emit_json, guarded, read_stdin, show_secret, stdout
from phonelist.clock import utcnow
from phonelist.errors import ValidationError
from phonelist.security.passwords import generate_password
from phonelist.security.permissions import Role
from phonelist.security.users import UserInfo

__all__ = ["app"]

app = typer.Typer(
    name="users", help="Add, list and disable users; roles, passwords, TOTP.", no_args_is_help=True
)
totp_app = typer.Typer(
    name="totp", help="The optional second factor (authenticator app codes).", no_args_is_help=True
)
app.add_typer(totp_app)

Username = Annotated[str, typer.Argument(metavar="USERNAME", help="The user's name.")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        metavar="",
        help="Read the password from the first line of stdin; else one is generated and "
        "printed once.",
    ),
]


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password to set, and whether it was generated (and so must be printed)."""
    if not from_stdin:
        return generate_password(), True
    password = read_stdin().split("\n", 1)[0].removesuffix("\r")
    if not password:
        raise ValidationError("--password-stdin: stdin holds no password", field="password")
    return password, False


def _show_password(username: str, password: str, generated: bool, done: str) -> None:
    stdout().print(Text(f"{done} {username}.", style="green"))
    if generated:
        show_secret("Password", password)


@app.command("list")
@guarded
def list_(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List users: name, role, state, last sign-in, TOTP (never password hashes)."""
    with open_core(ctx) as core:
        users = core.users.all(core.cli_actor())
    if as_json:
        emit_json(users)
        return
    stdout().print(user_table(users))


@app.command("add")
@guarded
def add(
    ctx: typer.Context,
    username: Username,
    role: Annotated[
        Role, typer.Option("--role", case_sensitive=False, help="What the user may do.")
    ],
    password_stdin: PasswordStdin = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a user with a role; the password is generated and printed once unless given."""
    password, generated = _password(password_stdin)
    with open_core(ctx) as core:
        user_id = core.users.create(core.cli_actor(), username, password, role)
    if as_json:
        emit_json(
            {"id": user_id, "username": username, "role": role.value}
            | ({"password": password} if generated else {})
        )
        return
    _show_password(username, password, generated, f"Added {role.value}")


@app.command("disable")
@guarded
def disable(ctx: typer.Context, username: Username, as_json: JsonFlag = False) -> None:
    """Disable a user: no more sign-ins, and open sessions end at their next request."""
    with open_core(ctx) as core:
        info = core.users.disable(core.cli_actor(), username)
    if as_json:
        emit_json(info)
    else:
        stdout().print(Text(f"Disabled {info.username}."))


@app.command("role")
@guarded
def role(
    ctx: typer.Context,
    username: Username,
    new_role: Annotated[
        Role, typer.Argument(metavar="ROLE", case_sensitive=False, help="The new role.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Change a user's role; it takes effect at the user's next request."""
    with open_core(ctx) as core:
        info = core.users.set_role(core.cli_actor(), username, new_role)
    if as_json:
        emit_json(info)
    else:
        stdout().print(Text(f"{info.username} is now {info.role}."))


@app.command("reset-password")
@guarded
def reset_password(
    ctx: typer.Context,
    username: Username,
    password_stdin: PasswordStdin = False,
    as_json: JsonFlag = False,
) -> None:
    """Set a new password for a user, unlock the account and end its web sessions."""
    password, generated = _password(password_stdin)
    with open_core(ctx) as core:
        core.users.reset_password(core.cli_actor(), username, password)
    if as_json:
        emit_json({"username": username} | ({"password": password} if generated else {}))
        return
    _show_password(username, password, generated, "Reset the password of")


@totp_app.command("enable")
@guarded
def totp_enable(ctx: typer.Context, username: Username, as_json: JsonFlag = False) -> None:
    """Make a TOTP secret and print it once; it counts after 'users totp confirm'."""
    with open_core(ctx) as core:
        setup = core.users.totp_enable(core.cli_actor(), username)
    if as_json:
        emit_json(setup)
        return
    console = stdout()
    console.print(Text("Add this to the authenticator app (shown only this once):", style="bold"))
    console.print(Text(setup.uri), soft_wrap=True)
    console.print(Text(f"Secret: {setup.secret}"), soft_wrap=True)
    console.print(Text(f"Then run: phonelist users totp confirm {username} CODE"))


@totp_app.command("confirm")
@guarded
def totp_confirm(
    ctx: typer.Context,
    username: Username,
    code: Annotated[str, typer.Argument(metavar="CODE", help="A code the app shows now.")],
    as_json: JsonFlag = False,
) -> None:
    """Turn TOTP on with a current code from the app: sign-in then asks for a code."""
    with open_core(ctx) as core:
        core.users.totp_confirm(core.cli_actor(), username, code)
    if as_json:
        emit_json({"username": username, "totp_enabled": True})
    else:
        stdout().print(Text(f"TOTP is on for {username}.", style="green"))


@totp_app.command("disable")
@guarded
def totp_disable(ctx: typer.Context, username: Username, as_json: JsonFlag = False) -> None:
    """Turn TOTP off and forget the secret (for a lost phone); harmless when already off."""
    with open_core(ctx) as core:
        core.users.totp_disable(core.cli_actor(), username)
    if as_json:
        emit_json({"username": username, "totp_enabled": False})
    else:
        stdout().print(Text(f"TOTP is off for {username}."))


def user_table(users: list[UserInfo]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("username", "role", "state", "totp", "last sign-in"):
        table.add_column(column, overflow="fold")
    now = utcnow()
    for user in users:
        if user.disabled_at is not None:
            state = "disabled"
        elif user.locked_until is not None and user.locked_until > now:
            state = f"locked until {user.locked_until:%H:%M} UTC"
        else:
            state = "active"
        table.add_row(
            Text(user.username),
            Text(user.role),
            Text(state),
            Text("on" if user.totp_enabled else "off"),
            Text(f"{user.last_sign_in_at:%Y-%m-%d}" if user.last_sign_in_at else "never"),
        )
    return table
