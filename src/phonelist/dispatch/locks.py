"""PostgreSQL locks of the dispatcher: one sender per number, and one lock order.

See docs/dispatch.md, "Locks on PostgreSQL".
"""

from __future__ import annotations

import hashlib
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from phonelist.store.segment_models import ContactFacts

__all__ = ["lock_facts", "number_lock"]


def number_lock(workspace: int, index: bytes) -> int:
    digest = hashlib.blake2b(workspace.to_bytes(8, "big") + index, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_facts(
    session: Session, numbers: set[tuple[int, bytes]], *, skip_locked: bool = False
) -> set[tuple[int, bytes]]:
    """Lock the ``contact_facts`` rows of ``numbers`` (PostgreSQL); the numbers fully locked.

    The triggers on ``messages`` update these rows, and every opt-out updates them before it
    touches the outbox: taking them first keeps one lock order, so neither waits on the other
    in a cycle. ``skip_locked``: never wait, leave out the numbers someone else holds.
    """
    if not numbers:
        return set()
    by_workspace: dict[int, list[bytes]] = {}
    for workspace, index in numbers:
        by_workspace.setdefault(workspace, []).append(index)
    free: set[tuple[int, bytes]] = set()
    for workspace, indexes in by_workspace.items():
        query = (
            select(ContactFacts.primary_index)
            .where(ContactFacts.workspace_id == workspace, ContactFacts.primary_index.in_(indexes))
            .order_by(ContactFacts.contact_id)
        )
        total = Counter(bytes(i) for i in session.scalars(query) if i is not None)
        locked = query.with_for_update(skip_locked=skip_locked)
        got = Counter(bytes(i) for i in session.scalars(locked) if i is not None)
        free.update((workspace, i) for i in indexes if got[i] == total[i])
    return free
