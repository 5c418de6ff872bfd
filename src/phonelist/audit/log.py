"""Write audit events. ``detail`` holds ids, field names and counts, never personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from phonelist.clock import utcnow
from phonelist.security.permissions import Actor
from phonelist.store.models import AuditEvent

__all__ = ["record"]


def record(
    session: Session,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            workspace_id=actor.workspace_id,
            at=utcnow(),
            actor=actor.label,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            detail=detail or {},
        )
    )
