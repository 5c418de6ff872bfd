"""Signing in: lockout after repeated failures, one generic error, TOTP, owners' password resets."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from sqlalchemy import select

from phonelist import Phonelist
from phonelist.core import DEFAULT_WORKSPACE
from phonelist.errors import AuthenticationError, Conflict, PermissionDenied, ValidationError
from phonelist.security.permissions import Actor, Role
from phonelist.security.users import SIGN_IN_FAILED, UserService
from phonelist.store.models import AuditEvent, User
from tests.conftest import OWNER_PASSWORD

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
PASSWORD = "a long enough password"


@pytest.fixture
def users(core: Phonelist) -> UserService:
    return UserService(core.store, core.keyring, max_failures=3, lockout_minutes=15)


@pytest.fixture
def ana(users: UserService, actor: Actor) -> str:
    users.create(actor, "ana", PASSWORD, Role.EDITOR)
    return "ana"


def fail(users: UserService, username: str, password: str, at: dt.datetime, **kw: str) -> str:
    with pytest.raises(AuthenticationError) as caught:
        users.sign_in(DEFAULT_WORKSPACE, username, password, now=at, **kw)
    return caught.value.message


def row(core: Phonelist, username: str) -> User:
    with core.store.read() as session:
        found = session.scalar(select(User).where(User.username == username))
        assert found is not None
        return found


def test_every_failure_has_the_same_message(users: UserService, ana: str) -> None:
    messages = {
        fail(users, "nobody", PASSWORD, T0),
        fail(users, ana, "wrong password!", T0),
    }
    for _ in range(3):
        fail(users, ana, "wrong password!", T0)
    messages.add(fail(users, ana, PASSWORD, T0))  # locked now: right password, same answer

    assert messages == {SIGN_IN_FAILED}


def test_lockout_after_max_failures_refuses_the_right_password(
    core: Phonelist, users: UserService, ana: str
) -> None:
    for _ in range(2):
        fail(users, ana, "wrong password!", T0)
    assert row(core, ana).failed_sign_ins == 2
    assert row(core, ana).locked_until is None

    fail(users, ana, "wrong password!", T0)

    assert row(core, ana).locked_until == T0 + dt.timedelta(minutes=15)
    fail(users, ana, PASSWORD, T0 + dt.timedelta(minutes=14))
    with core.store.read() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "user.lock"))


def test_the_lock_ends_after_its_time(core: Phonelist, users: UserService, ana: str) -> None:
    for _ in range(3):
        fail(users, ana, "wrong password!", T0)

    actor = users.sign_in(DEFAULT_WORKSPACE, ana, PASSWORD, now=T0 + dt.timedelta(minutes=15))

    assert actor.role == Role.EDITOR
    assert row(core, ana).locked_until is None


def test_success_resets_the_counter(core: Phonelist, users: UserService, ana: str) -> None:
    for _ in range(2):
        fail(users, ana, "wrong password!", T0)

    users.sign_in(DEFAULT_WORKSPACE, ana, PASSWORD, now=T0)
    for _ in range(2):
        fail(users, ana, "wrong password!", T0)

    assert row(core, ana).failed_sign_ins == 2
    assert row(core, ana).locked_until is None


def test_attempts_during_the_lock_do_not_extend_it(
    core: Phonelist, users: UserService, ana: str
) -> None:
    for _ in range(3):
        fail(users, ana, "wrong password!", T0)
    for minute in range(1, 10):
        fail(users, ana, "wrong password!", T0 + dt.timedelta(minutes=minute))

    assert row(core, ana).locked_until == T0 + dt.timedelta(minutes=15)


def test_the_settings_reach_the_core(core: Phonelist) -> None:
    assert core.users.max_failures == core.settings.sign_in_max_failures == 5
    assert core.users.lockout == dt.timedelta(minutes=15)


def wrong_code(generator: pyotp.TOTP, at: dt.datetime) -> str:
    """A well-formed code that is not valid at ``at`` (nor the step before or after)."""
    valid = {generator.at(at + dt.timedelta(seconds=s)) for s in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


# -- TOTP --------------------------------------------------------------------------------------
def enable_totp(users: UserService, actor: Actor, username: str) -> pyotp.TOTP:
    setup = users.totp_enable(actor, username)
    assert setup.uri.startswith("otpauth://totp/")
    assert setup.secret in setup.uri
    generator = pyotp.TOTP(setup.secret)
    users.totp_confirm(actor, username, generator.at(T0), now=T0)
    return generator


def test_totp_is_required_once_confirmed(
    core: Phonelist, users: UserService, actor: Actor, ana: str
) -> None:
    generator = enable_totp(users, actor, ana)

    assert fail(users, ana, PASSWORD, T0) == SIGN_IN_FAILED  # no code
    assert fail(users, ana, PASSWORD, T0, code=wrong_code(generator, T0)) == SIGN_IN_FAILED
    signed_in = users.sign_in(DEFAULT_WORKSPACE, ana, PASSWORD, generator.at(T0), now=T0)

    assert signed_in.role == Role.EDITOR
    with core.store.read() as session:
        sealed = session.scalar(select(User.totp_secret_enc).where(User.username == ana))
    assert sealed is not None  # sealed with the keyring, never in clear
    assert generator.secret.encode() not in sealed


def test_totp_accepts_the_neighbouring_step_only(
    users: UserService, actor: Actor, ana: str
) -> None:
    generator = enable_totp(users, actor, ana)
    later = T0 + dt.timedelta(seconds=30)

    users.sign_in(DEFAULT_WORKSPACE, ana, PASSWORD, generator.at(T0), now=later)
    fail(users, ana, PASSWORD, later, code=generator.at(T0 - dt.timedelta(seconds=60)))


def test_wrong_codes_count_towards_the_lockout(
    core: Phonelist, users: UserService, actor: Actor, ana: str
) -> None:
    generator = enable_totp(users, actor, ana)
    fail(users, ana, PASSWORD, T0)
    fail(users, ana, PASSWORD, T0, code="123")
    fail(users, ana, PASSWORD, T0, code=wrong_code(generator, T0))

    assert row(core, ana).locked_until is not None
    fail(users, ana, PASSWORD, T0, code=generator.at(T0))


def test_totp_counts_only_after_confirmation(users: UserService, actor: Actor, ana: str) -> None:
    setup = users.totp_enable(actor, ana)

    users.sign_in(DEFAULT_WORKSPACE, ana, PASSWORD, now=T0)  # not confirmed: no code needed
    with pytest.raises(ValidationError):
        users.totp_confirm(
            actor,
            ana,
            wrong_code(pyotp.TOTP(setup.secret), T0),
            now=T0,
        )
    users.totp_confirm(actor, ana, pyotp.TOTP(setup.secret).at(T0), now=T0)
    with pytest.raises(Conflict):
        users.totp_enable(actor, ana)


def test_totp_disable(users: UserService, actor: Actor, ana: str) -> None:
    enable_totp(users, actor, ana)

    users.totp_disable(actor, ana)
    users.totp_disable(actor, ana)

    assert users.sign_in(DEFAULT_WORKSPACE, ana, PASSWORD, now=T0).ref
    assert not next(u for u in users.all(actor) if u.username == ana).totp_enabled


def test_confirm_without_enable_is_a_conflict(users: UserService, actor: Actor, ana: str) -> None:
    with pytest.raises(Conflict):
        users.totp_confirm(actor, ana, "123456", now=T0)


# -- password reset and account management ---------------------------------------------------
def test_owner_resets_a_password_and_unlocks(
    core: Phonelist, users: UserService, actor: Actor, ana: str
) -> None:
    for _ in range(3):
        fail(users, ana, "wrong password!", T0)

    users.reset_password(actor, ana, "a brand new password", now=T0)

    assert users.sign_in(DEFAULT_WORKSPACE, ana, "a brand new password", now=T0).ref
    fail(users, ana, PASSWORD, T0)
    assert row(core, ana).password_changed_at == T0


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.AGENT, Role.VIEWER])
def test_only_owners_reset_passwords(users: UserService, ana: str, role: Role) -> None:
    someone = Actor(DEFAULT_WORKSPACE, role, "user", "someone")
    with pytest.raises(PermissionDenied):
        users.reset_password(someone, ana, "a brand new password")


def test_a_reset_ends_sessions_begun_before_it(users: UserService, actor: Actor, ana: str) -> None:
    signed_in = users.sign_in(DEFAULT_WORKSPACE, ana, PASSWORD, now=T0)
    assert users.actor_of(DEFAULT_WORKSPACE, signed_in.ref, T0) is not None
    assert users.actor_of(DEFAULT_WORKSPACE, signed_in.ref, None) is not None

    users.reset_password(actor, ana, "a brand new password", now=T0 + dt.timedelta(seconds=1))

    assert users.actor_of(DEFAULT_WORKSPACE, signed_in.ref, T0) is None
    assert users.actor_of(DEFAULT_WORKSPACE, signed_in.ref, None) is None
    later = T0 + dt.timedelta(seconds=2)
    assert users.actor_of(DEFAULT_WORKSPACE, signed_in.ref, later) is not None


def test_admins_can_not_touch_owners(core: Phonelist, users: UserService, ana: str) -> None:
    admin = Actor(DEFAULT_WORKSPACE, Role.ADMIN, "user", "admin")
    with pytest.raises(PermissionDenied):
        users.set_role(admin, ana, Role.OWNER)
    with pytest.raises(PermissionDenied):
        users.disable(admin, "owner")
    with pytest.raises(PermissionDenied):
        users.create(admin, "boss", PASSWORD, Role.OWNER)
    assert users.set_role(admin, ana, Role.AGENT).role == "agent"


def test_the_last_owner_stays(users: UserService, actor: Actor) -> None:
    with pytest.raises(Conflict):
        users.disable(actor, "owner")
    with pytest.raises(Conflict):
        users.set_role(actor, "owner", Role.ADMIN)
    users.create(actor, "second", PASSWORD, Role.OWNER)
    assert users.set_role(actor, "owner", Role.ADMIN).role == "admin"


def test_a_disabled_user_can_not_sign_in(users: UserService, actor: Actor, ana: str) -> None:
    users.disable(actor, ana)

    assert fail(users, ana, PASSWORD, T0) == SIGN_IN_FAILED
    assert users.sign_in(DEFAULT_WORKSPACE, "owner", OWNER_PASSWORD, now=T0).role == Role.OWNER
