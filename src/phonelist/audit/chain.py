"""The audit chain: every event gets the next ``seq`` of its workspace and a MAC over its content
and the previous event's MAC, keyed from the keyring.

Events are linked when their transaction commits (a ``before_commit`` hook on the session), so the
head row ``audit_heads`` is locked for the shortest time and always last: a transaction that also
appends to the consent ledger takes the ledger head first, whatever order its code ran in. On
PostgreSQL the head is locked ``FOR UPDATE``, so concurrent writers chain one after the other; on
SQLite, writes are serialised by ``BEGIN IMMEDIATE`` already.

Events written before the chain existed (``seq`` NULL) are linked, in id order, by the first
append of their workspace; after that, an unlinked event is a finding of :func:`verify`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from phonelist.security.crypto import Keyring
from phonelist.store.models import AuditEvent, AuditHead

__all__ = ["GENESIS", "Problem", "VerifyReport", "link", "mac", "verify"]

GENESIS = "0" * 64
_DOMAIN = b"audit-log\x00"  # the same construction as Keyring.blind_index, untruncated


def mac(keyring: Keyring, event: AuditEvent, prev_hash: str, seq: int) -> str:
    """HMAC-SHA-256 over the canonical JSON of the event and the previous event's MAC."""
    content = {
        "workspace_id": event.workspace_id,
        "seq": seq,
        "at": _iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "detail": event.detail or {},
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hmac.new(
        keyring.index_key, _DOMAIN + canonical.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def link(session: Session, keyring: Keyring, events: Iterable[AuditEvent]) -> None:
    """Give ``events`` (added in this transaction) their place in their workspaces' chains."""
    pending = list(events)
    session.flush()  # ids first: a transaction's own events are chained in the order written
    for workspace_id in sorted({event.workspace_id for event in pending}):
        head = _lock_head(session, workspace_id)
        if head.seq == 0:
            # The first append of this workspace: link what was written before the chain
            # existed too (this transaction's own events are among them, in id order).
            batch = list(
                session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.workspace_id == workspace_id, AuditEvent.seq.is_(None))
                    .order_by(AuditEvent.id)
                )
            )
        else:
            batch = sorted(
                (e for e in pending if e.workspace_id == workspace_id and e.seq is None),
                key=lambda e: e.id,
            )
        for event in batch:
            seq = head.seq + 1
            event.seq, event.prev_hash = seq, head.hash
            event.hash = mac(keyring, event, head.hash, seq)
            head.seq, head.hash = seq, event.hash
    session.flush()


def _lock_head(session: Session, workspace_id: int) -> AuditHead:
    values = {"workspace_id": workspace_id, "seq": 0, "hash": GENESIS}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(AuditHead).values(values).on_conflict_do_nothing())
    return session.scalars(
        select(AuditHead)
        .where(AuditHead.workspace_id == workspace_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


# -- verify ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: ``kind`` is edited, reordered, missing, unlinked, broken_link, cut_tail,
    head_missing or head_mismatch; ``event_id`` and ``seq`` name the event when there is one."""

    kind: str
    message: str
    event_id: int | None = None
    seq: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    events: int
    head_seq: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "head_seq": self.head_seq,
            "problems": [p.as_dict() for p in self.problems],
        }


def verify(session: Session, keyring: Keyring, workspace_id: int) -> VerifyReport:
    """Walk the chain: every MAC, every link, the head. Names each event that does not hold."""
    rows = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.workspace_id == workspace_id)
            .order_by(AuditEvent.seq.is_(None), AuditEvent.seq, AuditEvent.id)
        )
    )
    chained = [row for row in rows if row.seq is not None]
    problems = [
        Problem(
            "unlinked", f"event {row.id} is not in the chain (written outside phonelist?)", row.id
        )
        for row in rows
        if row.seq is None
    ]
    written_at = _written_positions(chained)
    prev_hash, expected, after_problem = GENESIS, 1, False
    for row in chained:
        seq = row.seq or 0
        explained = False
        if seq > expected:
            span = f"#{expected}" if seq == expected + 1 else f"#{expected} to #{seq - 1}"
            problems.append(Problem("missing", f"events {span} were deleted", None, expected))
            explained = True
        elif seq < expected:
            problems.append(
                Problem("reordered", f"event {row.id} repeats sequence #{seq}", row.id, seq)
            )
            explained = True
        if mac(keyring, row, row.prev_hash or "", seq) != row.hash:
            original = written_at.get(row.id)
            if (
                original is not None
                and mac(keyring, row, row.prev_hash or "", original) == row.hash
            ):
                message = f"event {row.id} was written as #{original} but now stands at #{seq}"
                problems.append(Problem("reordered", message, row.id, seq))
            else:
                message = f"event {row.id} (#{seq}) was changed after it was written"
                problems.append(Problem("edited", message, row.id, seq))
            explained = True
        elif row.prev_hash != prev_hash and not (explained or after_problem):
            message = f"event {row.id} (#{seq}) does not follow the event before it"
            problems.append(Problem("broken_link", message, row.id, seq))
            explained = True
        after_problem = explained
        prev_hash, expected = row.hash or "", max(expected, seq + 1)
    last = expected - 1
    head = session.get(AuditHead, workspace_id)
    if head is None:
        if chained:
            problems.append(Problem("head_missing", "the audit head row is missing"))
    elif head.seq > last:
        span = f"#{last + 1}" if head.seq == last + 1 else f"#{last + 1} to #{head.seq}"
        problems.append(
            Problem("cut_tail", f"events {span} were deleted from the end", None, last + 1)
        )
    elif head.seq != last or head.hash != prev_hash:
        problems.append(
            Problem(
                "head_mismatch",
                f"the log ends at #{last} but its head says #{head.seq}: the head was changed "
                "or events were added outside phonelist",
            )
        )
    return VerifyReport(
        events=len(rows), head_seq=head.seq if head else 0, problems=tuple(problems)
    )


def _written_positions(chained: list[AuditEvent]) -> dict[int, int]:
    """Each event's place when written, found by following ``prev_hash`` from the start."""
    by_prev: dict[str, AuditEvent] = {}
    for row in chained:
        by_prev.setdefault(row.prev_hash or "", row)
    positions: dict[int, int] = {}
    position = 0
    following = by_prev.get(GENESIS)
    while following is not None and following.id not in positions:
        position += 1
        positions[following.id] = position
        following = by_prev.get(following.hash or "")
    return positions


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")
