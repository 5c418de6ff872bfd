"""User accounts: argon2id password hashes and a role each."""

from __future__ import annotations

from sqlalchemy import func, select

from phonelist.audit import record
from phonelist.clock import utcnow
from phonelist.contacts.schemas import plain_text
from phonelist.errors import AuthenticationError, Conflict, ValidationError
from phonelist.ids import new_id
from phonelist.security.passwords import hash_password, verify_password
from phonelist.security.permissions import Actor, Permission, Role
from phonelist.store import Store
from phonelist.store.models import User

__all__ = ["UserService"]

# Verified when the user does not exist, so that timing does not tell which usernames exist.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$jEVz7MtDi05SBDRj0TX+8A$"
    "JEUJeQrcoFK7T5HMc4gcsd4ZpgUSxbZj7ZEzO0+Ds+g"
)


class UserService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, actor: Actor, username: str, password: str, role: Role) -> str:
        actor.require(Permission.USERS_MANAGE)
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

    def sign_in(self, workspace_id: int, username: str, password: str) -> Actor:
        if not _is_text(username, 254) or not _is_text(password, 1024):
            raise AuthenticationError("wrong username or password")
        with self.store.read() as session:
            user = session.scalar(
                select(User).where(User.workspace_id == workspace_id, User.username == username)
            )
            stored = user.password_hash if user is not None else _DUMMY_HASH
            ok = verify_password(stored, password) and user is not None
            actor = None
            if ok and user is not None and user.disabled_at is None:
                actor = Actor(
                    workspace_id=workspace_id, role=Role(user.role), kind="user", ref=user.id
                )
        with self.store.write() as session:
            who = actor or Actor(
                workspace_id=workspace_id, role=Role.VIEWER, kind="anonymous", ref="-"
            )
            record(
                session,
                who,
                "user.sign_in" if actor else "user.sign_in_failed",
                "user",
                actor.ref if actor else None,
                {},
            )
            if actor is not None:
                row = session.get(User, actor.ref)
                if row is not None:
                    row.last_sign_in_at = utcnow()
        if actor is None:
            raise AuthenticationError("wrong username or password")
        return actor

    def actor_of(self, workspace_id: int, user_id: str) -> tuple[Actor, str] | None:
        """The current actor and username for a signed-in user, or None if gone or disabled.

        Called on every web request, so a disabled account or a changed role takes effect at
        once rather than at the next sign-in.
        """
        if not (0 < len(user_id) <= 26 and user_id.isalnum()):
            return None
        with self.store.read() as session:
            user = session.get(User, user_id)
            if user is None or user.workspace_id != workspace_id or user.disabled_at is not None:
                return None
            actor = Actor(workspace_id=workspace_id, role=Role(user.role), kind="user", ref=user.id)
            return actor, user.username

    def username_of(self, actor: Actor) -> str:
        with self.store.read() as session:
            user = session.get(User, actor.ref)
            return user.username if user is not None else actor.label


def _is_text(value: str, max_length: int) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return 0 < len(value) <= max_length
