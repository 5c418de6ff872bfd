"""API tokens: random secrets shown once, stored as SHA-256 hashes, scoped to a role.

Tokens carry 256 bits of randomness, so a fast hash is enough (no password stretching
needed); lookup is by the hash, and the comparison happens inside the database index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from phonelist.audit import record
from phonelist.clock import utcnow
from phonelist.errors import AuthenticationError, NotFound, PermissionDenied, ValidationError
from phonelist.ids import new_id
from phonelist.security.permissions import Actor, Permission, Role
from phonelist.store import Store
from phonelist.store.models import ApiToken

__all__ = ["TOKEN_PREFIX", "TokenInfo", "TokenService"]

TOKEN_PREFIX = "pl_"  # noqa: S105 (a prefix, not a secret)
_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_ROLE_RANK = {Role.VIEWER: 0, Role.AGENT: 1, Role.EDITOR: 2, Role.ADMIN: 3, Role.OWNER: 4}


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    name: str
    role: str
    prefix: str
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenInfo:
        return cls(
            id=row.id,
            name=row.name,
            role=row.role,
            prefix=row.prefix,
            created_by=row.created_by,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).digest()


class TokenService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self, actor: Actor, name: str, role: Role, *, expires_in_days: int | None = 90
    ) -> tuple[TokenInfo, str]:
        """Create a token; returns its info and the secret, which is never shown again."""
        actor.require(Permission.TOKENS_MANAGE)
        if _ROLE_RANK[role] > _ROLE_RANK[actor.role]:
            raise PermissionDenied(f"a {actor.role.value} cannot create a {role.value} token")
        if not name or len(name) > 100 or not name.isprintable():
            raise ValidationError("token name must be 1 to 100 printable characters", field="name")
        if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
            raise ValidationError("expiry must be 1 to 3650 days", field="expires_in_days")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        row = ApiToken(
            id=new_id(),
            workspace_id=actor.workspace_id,
            name=name,
            role=role.value,
            token_hash=_hash(secret),
            prefix=secret[:10],
            created_by=actor.label,
            created_at=now,
            expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
        )
        with self.store.write() as session:
            session.add(row)
            record(session, actor, "token.create", "token", row.id, {"role": role.value})
        return TokenInfo.of(row), secret

    def all(self, actor: Actor) -> list[TokenInfo]:
        actor.require(Permission.TOKENS_MANAGE)
        with self.store.read() as session:
            rows = session.scalars(
                select(ApiToken)
                .where(ApiToken.workspace_id == actor.workspace_id)
                .order_by(ApiToken.id)
            )
            return [TokenInfo.of(r) for r in rows]

    def revoke(self, actor: Actor, token_id: str) -> TokenInfo:
        actor.require(Permission.TOKENS_MANAGE)
        if not _ID.fullmatch(token_id):
            raise NotFound(f"no token with id {token_id!r}", field="id")
        with self.store.write() as session:
            row = session.scalar(
                select(ApiToken).where(
                    ApiToken.id == token_id, ApiToken.workspace_id == actor.workspace_id
                )
            )
            if row is None:
                raise NotFound(f"no token with id {token_id!r}", field="id")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                record(session, actor, "token.revoke", "token", row.id, {})
            return TokenInfo.of(row)

    def authenticate(self, secret: str | None) -> Actor:
        """The actor a bearer token stands for, or AuthenticationError (one message for all)."""
        refused = AuthenticationError("missing, unknown, expired or revoked API token")
        if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            raise refused
        now = utcnow()
        with self.store.read() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(secret)))
            if (
                row is None
                or row.revoked_at is not None
                or (row.expires_at is not None and row.expires_at <= now)
            ):
                raise refused
            token_id, stale = (
                row.id,
                (row.last_used_at is None or now - row.last_used_at > _LAST_USED_RESOLUTION),
            )
            actor = Actor(
                workspace_id=row.workspace_id, role=Role(row.role), kind="token", ref=row.id
            )
        if stale:  # one write a minute at most, not one per request
            with self.store.write() as session:
                token = session.get(ApiToken, token_id)
                if token is not None:
                    token.last_used_at = now
        return actor
