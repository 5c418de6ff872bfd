"""User accounts: argon2id password hashes, a role each, sign-in lockout and optional TOTP.

Every sign-in failure looks the same to the person signing in ("wrong username or password"),
whether the username is unknown, the password or code wrong, or the account locked or disabled,
so that sign-in does not tell which usernames exist. See docs/security.md, "Signing in".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from phonelist.audit import record
from phonelist.audit.log import pseudonym
from phonelist.clock import utcnow
from phonelist.contacts.schemas import plain_text
from phonelist.errors import (
    AuthenticationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from phonelist.ids import new_id
from phonelist.security import totp
from phonelist.security.crypto import Keyring
from phonelist.security.passwords import hash_password, verify_password
from phonelist.security.permissions import Actor, Permission, Role
from phonelist.store import Store
from phonelist.store.models import User

__all__ = ["SIGN_IN_FAILED", "TotpSetup", "UserInfo", "UserService"]

SIGN_IN_FAILED = "wrong username or password"

# Verified when the user does not exist, so that timing does not tell which usernames exist.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$jEVz7MtDi05SBDRj0TX+8A$"
    "JEUJeQrcoFK7T5HMc4gcsd4ZpgUSxbZj7ZEzO0+Ds+g"
)


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as listed: never the password hash or the TOTP secret."""

    id: str
    username: str
    role: str
    created_at: dt.datetime
    disabled_at: dt.datetime | None
    last_sign_in_at: dt.datetime | None
    locked_until: dt.datetime | None
    totp_enabled: bool
    password_changed_at: dt.datetime | None

    @classmethod
    def of(cls, row: User) -> UserInfo:
        return cls(
            id=row.id,
            username=row.username,
            role=row.role,
            created_at=row.created_at,
            disabled_at=row.disabled_at,
            last_sign_in_at=row.last_sign_in_at,
            locked_until=row.locked_until,
            totp_enabled=row.totp_enabled_at is not None,
            password_changed_at=row.password_changed_at,
        )


@dataclass(frozen=True, slots=True)
class TotpSetup:
    """What the user's authenticator app needs; shown once, when TOTP is enabled."""

    username: str
    secret: str
    uri: str


class UserService:
    """Needs the keyring for the sealed TOTP secrets; lockout after ``max_failures`` in a row."""

    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        *,
        max_failures: int = 5,
        lockout_minutes: float = 15,
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.max_failures = max_failures
        self.lockout = dt.timedelta(minutes=lockout_minutes)

    def create(self, actor: Actor, username: str, password: str, role: Role) -> str:
        actor.require(Permission.USERS_MANAGE)
        _require_owner_for(actor, role)
        try:
            plain_text(username)
        except ValueError as exc:
            raise ValidationError(f"username: {exc}", field="username") from exc
        if not 1 <= len(username) <= 254 or username.strip() != username:
            raise ValidationError(
                "username must have 1 to 254 characters, no outer spaces", field="username"
            )
        password_hash = hash_password(password)
        with self.store.write() as session:
            taken = session.scalar(
                select(User.id).where(
                    User.workspace_id == actor.workspace_id, User.username == username
                )
            )
            if taken is not None:
                raise Conflict(f"user {username!r} already exists", field="username")
            user = User(
                id=new_id(),
                workspace_id=actor.workspace_id,
                username=username,
                password_hash=password_hash,
                role=role.value,
                created_at=utcnow(),
                failed_sign_ins=0,
            )
            session.add(user)
            record(session, actor, "user.create", "user", user.id, {"role": role.value})
            return user.id

    def count(self, workspace_id: int) -> int:
        with self.store.read() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(User).where(User.workspace_id == workspace_id)
                )
                or 0
            )

    def all(self, actor: Actor) -> list[UserInfo]:
        actor.require(Permission.USERS_MANAGE)
        with self.store.read() as session:
            rows = session.scalars(
                select(User).where(User.workspace_id == actor.workspace_id).order_by(User.username)
            )
            return [UserInfo.of(row) for row in rows]

    def sign_in(
        self,
        workspace_id: int,
        username: str,
        password: str,
        code: str | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> Actor:
        """The actor for a correct username, password and (when enabled) TOTP code.

        Raises :class:`AuthenticationError` with one message for every kind of failure.
        """
        now = now or utcnow()
        if not _is_text(username, 254) or not _is_text(password, 1024):
            raise AuthenticationError(SIGN_IN_FAILED)
        with self.store.read() as session:
            user = session.scalar(
                select(User).where(User.workspace_id == workspace_id, User.username == username)
            )
            # The hash is verified even for unknown or locked accounts: same time either way.
            stored = user.password_hash if user is not None else _DUMMY_HASH
            password_ok = verify_password(stored, password) and user is not None
            user_id = user.id if user is not None else None
        actor = None
        with self.store.write() as session:
            row = session.get(User, user_id, with_for_update=True) if user_id else None
            if row is not None:
                actor = self._attempt(session, row, password_ok, code, now)
            # -- audit of the attempt ----------------------------------------------------------
            who = actor or Actor(
                workspace_id=workspace_id, role=Role.VIEWER, kind="anonymous", ref="-"
            )
            record(
                session,
                who,
                "user.sign_in" if actor else "user.sign_in_failed",
                "user",
                actor.ref if actor else user_id,  # the account tried, when it exists
                {} if user_id else {"username_hash": pseudonym(session, username)},
            )
            if actor is not None and row is not None:
                row.last_sign_in_at = now
        if actor is None:
            raise AuthenticationError(SIGN_IN_FAILED)
        return actor

    # -- lockout and second factor -------------------------------------------------------------
    def _attempt(
        self, session: Session, row: User, password_ok: bool, code: str | None, now: dt.datetime
    ) -> Actor | None:
        """Decide one attempt on an existing account and update its failure counter.

        While locked, every attempt fails, a correct one too, and is not counted. A wrong
        password, or a missing or wrong code when TOTP is on, counts; ``max_failures`` in a row
        lock the account for ``lockout``. Success resets the counter.
        """
        if row.locked_until is not None and row.locked_until > now:
            return None
        if row.disabled_at is not None:
            return None
        ok = password_ok and (row.totp_enabled_at is None or self._code_ok(row, code, now))
        if ok:
            row.failed_sign_ins = 0
            row.locked_until = None
            return Actor(
                workspace_id=row.workspace_id, role=Role(row.role), kind="user", ref=row.id
            )
        row.failed_sign_ins = (row.failed_sign_ins or 0) + 1
        if row.failed_sign_ins >= self.max_failures:
            row.failed_sign_ins = 0
            row.locked_until = now + self.lockout
            system = Actor(row.workspace_id, Role.OWNER, "system", "sign-in-lockout")
            minutes = self.lockout.total_seconds() / 60
            record(session, system, "user.lock", "user", row.id, {"minutes": minutes})
        return None

    def _code_ok(self, row: User, code: str | None, now: dt.datetime) -> bool:
        if row.totp_secret_enc is None:
            return False
        secret = self.keyring.decrypt(
            row.totp_secret_enc, table="users", column="totp_secret", row_id=row.id
        )
        return totp.verify_code(secret, code, now)

    def totp_enable(self, actor: Actor, username: str) -> TotpSetup:
        """Make a new TOTP secret for a user; it counts only once confirmed with a code."""
        actor.require(Permission.USERS_MANAGE)
        secret = totp.new_secret()
        with self.store.write() as session:
            row = _target(session, actor, username)
            if row.totp_enabled_at is not None:
                raise Conflict(
                    f"TOTP is already on for {username!r}; disable it first", field="username"
                )
            row.totp_secret_enc = self.keyring.encrypt(
                secret, table="users", column="totp_secret", row_id=row.id
            )
            record(session, actor, "user.totp_enable", "user", row.id, {})
        return TotpSetup(
            username=username, secret=secret, uri=totp.provisioning_uri(secret, username)
        )

    def totp_confirm(
        self, actor: Actor, username: str, code: str, *, now: dt.datetime | None = None
    ) -> None:
        """Turn TOTP on, once a code from the authenticator app proves it was set up."""
        actor.require(Permission.USERS_MANAGE)
        now = now or utcnow()
        with self.store.write() as session:
            row = _target(session, actor, username)
            if row.totp_enabled_at is not None:
                raise Conflict(f"TOTP is already on for {username!r}", field="username")
            if row.totp_secret_enc is None:
                raise Conflict(
                    f"no TOTP set up for {username!r}: run 'users totp enable' first",
                    field="username",
                )
            if not self._code_ok(row, code, now):
                raise ValidationError("that code is wrong or has expired", field="code")
            row.totp_enabled_at = now
            record(session, actor, "user.totp_confirm", "user", row.id, {})

    def totp_disable(self, actor: Actor, username: str) -> None:
        """Turn TOTP off and forget the secret; disabling twice is harmless."""
        actor.require(Permission.USERS_MANAGE)
        with self.store.write() as session:
            row = _target(session, actor, username)
            row.totp_secret_enc = None
            row.totp_enabled_at = None
            record(session, actor, "user.totp_disable", "user", row.id, {})

    # -- account management --------------------------------------------------------------------
    def reset_password(
        self, actor: Actor, username: str, new: str, *, now: dt.datetime | None = None
    ) -> None:
        """Set another user's password (owners only), unlock the account, end its sessions.

        Web sessions started before ``password_changed_at`` are refused (:meth:`actor_of`).
        """
        actor.require(Permission.USERS_RESET_PASSWORD)
        password_hash = hash_password(new)
        now = now or utcnow()
        with self.store.write() as session:
            row = _target(session, actor, username)
            row.password_hash = password_hash
            row.password_changed_at = now
            row.failed_sign_ins = 0
            row.locked_until = None
            record(session, actor, "user.reset_password", "user", row.id, {})

    def disable(self, actor: Actor, username: str) -> UserInfo:
        """Disable an account: it can not sign in and its sessions end at their next request."""
        actor.require(Permission.USERS_MANAGE)
        with self.store.write() as session:
            row = _target(session, actor, username)
            if row.disabled_at is None:
                if row.role == Role.OWNER:
                    _keep_an_owner(session, row)
                row.disabled_at = utcnow()
                record(session, actor, "user.disable", "user", row.id, {})
            return UserInfo.of(row)

    def set_role(self, actor: Actor, username: str, role: Role) -> UserInfo:
        """Change a user's role; only owners make or unmake owners, and one owner stays."""
        actor.require(Permission.USERS_MANAGE)
        _require_owner_for(actor, role)
        with self.store.write() as session:
            row = _target(session, actor, username)
            if row.role != role.value:
                if row.role == Role.OWNER:
                    _keep_an_owner(session, row)
                before, row.role = row.role, role.value
                record(
                    session, actor, "user.role", "user", row.id, {"from": before, "to": role.value}
                )
            return UserInfo.of(row)

    def actor_of(
        self, workspace_id: int, user_id: str, signed_in_at: dt.datetime | None = None
    ) -> tuple[Actor, str] | None:
        """The current actor and username for a signed-in user, or None if gone or disabled.

        Called on every web request, so a disabled account or a changed role takes effect at
        once rather than at the next sign-in. A session that began before the password was
        last reset (or whose start is unknown, once a reset happened) is no longer valid.
        """
        if not (0 < len(user_id) <= 26 and user_id.isalnum()):
            return None
        with self.store.read() as session:
            user = session.get(User, user_id)
            if user is None or user.workspace_id != workspace_id or user.disabled_at is not None:
                return None
            changed = user.password_changed_at
            if changed is not None and (signed_in_at is None or signed_in_at < changed):
                return None
            actor = Actor(workspace_id=workspace_id, role=Role(user.role), kind="user", ref=user.id)
            return actor, user.username

    def username_of(self, actor: Actor) -> str:
        with self.store.read() as session:
            user = session.get(User, actor.ref)
            return user.username if user is not None else actor.label


def _target(session: Session, actor: Actor, username: str) -> User:
    """The user named ``username`` in the actor's workspace; only owners act on owners."""
    row = session.scalar(
        select(User).where(User.workspace_id == actor.workspace_id, User.username == username)
    )
    if row is None:
        raise NotFound(f"no user {username!r}", field="username")
    if row.role == Role.OWNER:
        _require_owner_for(actor, Role.OWNER)
    return row


def _require_owner_for(actor: Actor, role: Role) -> None:
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied(
            "only an owner may create, change or manage an owner",
            details={"role": actor.role.value},
        )


def _keep_an_owner(session: Session, leaving: User) -> None:
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.workspace_id == leaving.workspace_id,
            User.role == Role.OWNER.value,
            User.disabled_at.is_(None),
            User.id != leaving.id,
        )
    )
    if not others:
        raise Conflict("the workspace must keep at least one active owner", field="username")


def _is_text(value: str, max_length: int) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return 0 < len(value) <= max_length
