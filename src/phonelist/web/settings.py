"""Settings: users and roles, API tokens, backups, and what is configured (read only).

Each part is its own page under /settings, shown to the roles that may use it; the core checks
the permissions again. Forms post back to their page; a refused change is shown next to its
field (``exc.field``) with the page re-rendered, a done one redirects with a notice. A new API
token's secret is shown once, on the page that answers its form, and is never stored in the
session.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from phonelist.api.deps import CoreDep
from phonelist.clock import utcnow
from phonelist.core import Phonelist
from phonelist.errors import PhonelistError, ValidationError
from phonelist.security.permissions import Actor, Permission, Role
from phonelist.web.pages import render
from phonelist.web.session import PageUser, SignedIn, check_csrf, flash

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
ROLE_ORDER = (Role.VIEWER, Role.AGENT, Role.EDITOR, Role.ADMIN, Role.OWNER)
TOKEN_DAYS = ("30", "90", "365", "never")
# Making a backup reads every row (sealed), so only owners, who hold the keys, start one here.
BACKUP_CREATE = Permission.KEYS_MANAGE
BACKUP_LIST = Permission.USERS_MANAGE


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _grantable(actor: Actor) -> list[str]:
    """Roles this actor may give a user or a token: never above their own."""
    top = ROLE_ORDER.index(actor.role)
    return [role.value for role in ROLE_ORDER[: top + 1]]


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationError("choose one of the roles listed", field="role") from None


def _page(
    request: Request,
    me: SignedIn,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        f"settings/{name}.html",
        {"me": me, "section": name, "errors": {}, "form": {}, **context},
        status_code=status_code,
    )


# -- overview: what is configured ----------------------------------------------------------------
@router.get("/settings", response_model=None)
def overview(request: Request, core: CoreDep, me: PageUser) -> Response:
    settings = core.settings
    return _page(
        request,
        me,
        "index",
        {
            "gateway": core.gateway.name,
            "rules_version": core.rules.version,
            "rule_packs": core.rules.version.split("+"),
            "policy_file": settings.policy_file is not None,
            "revocation_scope": settings.revocation_scope,
            "secure_cookies": settings.secure_cookies,
            "backup_interval_hours": settings.backup_interval_hours,
            "backup_keep": settings.backup_keep,
        },
    )


# -- users ---------------------------------------------------------------------------------------
def _users_page(
    request: Request,
    core: Phonelist,
    me: SignedIn,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    listed, now = core.users.all(me.actor), utcnow()
    return _page(
        request,
        me,
        "users",
        {
            "users": listed,
            "locked": {
                u.username for u in listed if u.locked_until and _aware(u.locked_until) > now
            },
            "roles": _grantable(me.actor),
            "may_reset": me.actor.can(Permission.USERS_RESET_PASSWORD),
            "errors": errors or {},
            "form": form or {},
        },
        status_code=status_code,
    )


@router.get("/settings/users", response_model=None)
def users(request: Request, core: CoreDep, me: PageUser) -> Response:
    return _users_page(request, core, me)


@router.post("/settings/users", response_model=None)
def add_user(
    request: Request,
    core: CoreDep,
    me: PageUser,
    username: FormText = "",
    password: FormText = "",
    role: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        core.users.create(me.actor, username.strip(), password, _role(role))
    except PhonelistError as exc:
        return _refused(request, core, me, exc, "add", {"username": username, "role": role})
    flash(request, f"User {username.strip()} added as {role}.")
    return _see_other("/settings/users")


@router.post("/settings/users/role", response_model=None)
def change_role(
    request: Request,
    core: CoreDep,
    me: PageUser,
    username: FormText = "",
    role: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        core.users.set_role(me.actor, username, _role(role))
    except PhonelistError as exc:
        return _refused(request, core, me, exc, f"role:{username}", {})
    flash(request, f"{username} is now {role}.")
    return _see_other("/settings/users")


@router.post("/settings/users/password", response_model=None)
def reset_password(
    request: Request,
    core: CoreDep,
    me: PageUser,
    username: FormText = "",
    password: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        if len(password) < 12:
            raise ValidationError("use at least 12 characters", field="password")
        core.users.reset_password(me.actor, username, password)
    except PhonelistError as exc:
        return _refused(request, core, me, exc, f"password:{username}", {})
    flash(request, f"Password of {username} reset; their sessions have ended.")
    return _see_other("/settings/users")


def _refused(
    request: Request,
    core: Phonelist,
    me: SignedIn,
    exc: PhonelistError,
    form_name: str,
    form: dict[str, str],
) -> Response:
    """The users page again, with the core's message under the form (and field) it is about."""
    key = f"{form_name}.{exc.field}" if form_name == "add" and exc.field else form_name
    return _users_page(
        request, core, me, errors={key: exc.message}, form=form, status_code=exc.status
    )


# -- API tokens ----------------------------------------------------------------------------------
def _tokens_page(
    request: Request,
    core: Phonelist,
    me: SignedIn,
    *,
    created: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return _page(
        request,
        me,
        "tokens",
        {
            "tokens": core.tokens.all(me.actor),
            "roles": _grantable(me.actor),
            "days": TOKEN_DAYS,
            "created": created,
            "errors": errors or {},
            "form": form or {"expires": "90", "role": "viewer"},
            "now": utcnow(),
        },
        status_code=status_code,
    )


@router.get("/settings/tokens", response_model=None)
def tokens(request: Request, core: CoreDep, me: PageUser) -> Response:
    return _tokens_page(request, core, me)


@router.post("/settings/tokens", response_model=None)
def create_token(
    request: Request,
    core: CoreDep,
    me: PageUser,
    name: FormText = "",
    role: FormText = "",
    expires: FormText = "90",
    csrf_token: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    form = {"name": name, "role": role, "expires": expires}
    try:
        if expires not in TOKEN_DAYS:
            raise ValidationError("choose one of the expiries listed", field="expires")
        days = None if expires == "never" else int(expires)
        info, secret = core.tokens.create(me.actor, name.strip(), _role(role), expires_in_days=days)
    except PhonelistError as exc:
        errors = {exc.field or "form": exc.message}
        return _tokens_page(request, core, me, errors=errors, form=form, status_code=exc.status)
    # Answered directly, not redirected: the secret is shown on this page once.
    return _tokens_page(request, core, me, created={"name": info.name, "secret": secret})


@router.post("/settings/tokens/revoke", response_model=None)
def revoke_token(
    request: Request,
    core: CoreDep,
    me: PageUser,
    token_id: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    info = core.tokens.revoke(me.actor, token_id)
    flash(request, f"Token {info.name} revoked.")
    return _see_other("/settings/tokens")


# -- backups -------------------------------------------------------------------------------------
@router.get("/settings/backups", response_model=None)
def backups(request: Request, core: CoreDep, me: PageUser) -> Response:
    me.actor.require(BACKUP_LIST)
    listed = [
        {
            "name": info.path.name,
            "created_at": str(info.header.get("created_at", ""))[:19].replace("T", " "),
            "version": str(info.header.get("phonelist_version", "")),
            "error": str(info.header["error"]) if "error" in info.header else None,
            "size": info.path.stat().st_size if info.path.exists() else 0,
        }
        for info in reversed(core.backups.list_backups())
    ]
    return _page(
        request,
        me,
        "backups",
        {
            "backups": listed,
            "may_create": me.actor.can(BACKUP_CREATE),
            "folder": str(core.settings.resolved_backup_dir),
            "interval_hours": core.settings.backup_interval_hours,
            "keep": core.settings.backup_keep,
        },
    )


@router.post("/settings/backups", response_model=None)
def create_backup(
    request: Request, core: CoreDep, me: PageUser, csrf_token: FormText = ""
) -> Response:
    check_csrf(request, csrf_token)
    me.actor.require(BACKUP_CREATE)
    info = core.backups.create(me.actor, now=utcnow())
    flash(request, f"Backup {info.path.name} made.")
    return _see_other("/settings/backups")
