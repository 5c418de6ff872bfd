"""Reading the audit log: filtered pages of events, and the verification of the chain.

Both need ``audit.read`` (owners and admins). Reading the log is not itself audited: its events
hold ids and counts, never personal data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from phonelist.audit.chain import VerifyReport, verify
from phonelist.audit.log import keyring_of
from phonelist.errors import ValidationError
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.models import AuditEvent

__all__ = ["MAX_CURSOR", "MAX_LIMIT", "AuditFilter", "AuditPage", "AuditService", "EventOut"]

MAX_LIMIT = 1000
MAX_CURSOR = 2**31 - 1
"""The largest event id: ``audit_events.id`` is an INTEGER, 32 bits on PostgreSQL."""


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which events to show; every part is optional. ``actor`` is a label like ``user:ID``."""

    action: str | None = None
    actor: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    since: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class EventOut:
    id: int
    seq: int | None
    at: dt.datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str | None
    detail: dict[str, Any]
    hash: str | None

    @classmethod
    def of(cls, row: AuditEvent) -> EventOut:
        return cls(
            id=row.id,
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            detail=dict(row.detail or {}),
            hash=row.hash,
        )


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Newest first; ``next_cursor`` (an event id) gives the older events that follow."""

    items: list[EventOut]
    next_cursor: int | None


class AuditService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def events(
        self,
        actor: Actor,
        where: AuditFilter | None = None,
        *,
        limit: int = 50,
        cursor: int | None = None,
    ) -> AuditPage:
        actor.require(Permission.AUDIT_READ)
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
        if cursor is not None and not 1 <= cursor <= MAX_CURSOR:
            # PostgreSQL refuses a larger bound for the 32-bit id ("integer out of range").
            raise ValidationError(f"cursor must be between 1 and {MAX_CURSOR}", field="cursor")
        where = where or AuditFilter()
        query = select(AuditEvent).where(AuditEvent.workspace_id == actor.workspace_id)
        if where.action:
            # "user." or "user.*" selects a family of actions; anything else is exact.
            if where.action.endswith((".", ".*")):
                prefix = where.action.rstrip("*")
                query = query.where(AuditEvent.action.startswith(prefix, autoescape=True))
            else:
                query = query.where(AuditEvent.action == where.action)
        if where.actor:
            query = query.where(AuditEvent.actor == where.actor)
        if where.subject_type:
            query = query.where(AuditEvent.subject_type == where.subject_type)
        if where.subject_id:
            query = query.where(AuditEvent.subject_id == where.subject_id)
        if where.since:
            query = query.where(AuditEvent.at >= where.since)
        if cursor is not None:
            query = query.where(AuditEvent.id < cursor)
        with self.store.read() as session:
            rows = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
        items = [EventOut.of(row) for row in rows[:limit]]
        next_cursor = items[-1].id if len(rows) > limit else None
        return AuditPage(items=items, next_cursor=next_cursor)

    def verify(self, actor: Actor) -> VerifyReport:
        """Walk the workspace's chain; every edited, deleted or reordered event is named."""
        actor.require(Permission.AUDIT_READ)
        with self.store.read() as session:
            return verify(session, keyring_of(session), actor.workspace_id)
