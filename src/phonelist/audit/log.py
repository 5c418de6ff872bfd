"""Write audit events. ``detail`` holds ids, field names and counts, never personal data.

:func:`record` adds the event to the caller's transaction; a ``before_commit`` listener on every
SQLAlchemy session links the transaction's events into their workspace's hash chain when it
commits (:mod:`phonelist.audit.chain`), and a rollback drops them with the change. The chain's
key comes from the keyring that :meth:`phonelist.Phonelist.open` puts in the ``info`` of every
session of its store (:func:`session_info`), so the many services that call :func:`record` need
no new argument, and a store opened without it cannot write an unchained event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from phonelist.audit.chain import link
from phonelist.clock import utcnow
from phonelist.errors import ConfigError
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor
from phonelist.store.models import AuditEvent

__all__ = ["keyring_of", "pseudonym", "record", "session_info"]

_KEYRING = "phonelist.audit.keyring"
_PENDING = "phonelist.audit.pending"


def session_info(keyring: Keyring) -> dict[str, Any]:
    """What a store puts in each session's ``info`` so that audit events can be chained."""
    return {_KEYRING: keyring}


def keyring_of(session: Session) -> Keyring:
    keyring = session.info.get(_KEYRING)
    if not isinstance(keyring, Keyring):
        raise ConfigError(
            "the audit log needs the keyring: open the store with Phonelist.open "
            "(or Store(engine, info=session_info(keyring)))"
        )
    return keyring


def pseudonym(session: Session, value: str) -> str:
    """A keyed hash of ``value`` for the log: equal values match, the value cannot be read back
    or guessed from the database alone (e.g. an unknown username tried at sign-in)."""
    return keyring_of(session).blind_index("audit-pseudonym", value).hex()


def record(
    session: Session,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an event in the caller's transaction; it is chained when the transaction commits."""
    keyring_of(session)  # fail before the change rather than at commit
    audit_event = AuditEvent(
        workspace_id=actor.workspace_id,
        at=utcnow(),
        actor=actor.label,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=detail or {},
    )
    session.add(audit_event)
    session.info.setdefault(_PENDING, []).append(audit_event)


@event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    pending = [e for e in session.info.pop(_PENDING, ()) if e in session]
    if pending:
        link(session, keyring_of(session), pending)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
