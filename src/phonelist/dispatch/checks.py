"""The policy check right before sending, for a whole claimed batch at once.

Messages are grouped by (workspace, channel, purpose, sender); each group is decided like
:meth:`PolicyService.decide_audience` decides (the engine's bulk path, held equal to ``check``
by a property test): the same ``policy_facts`` rows, reduced facts and engine, for the
group's numbers only. A message whose number has no
primary row there (a number that is no contact's primary one) is decided like ``check``
decides it, one number at a time. Every read is a fresh transaction started after the
worker claimed and locked the batch, so it sees every opt-out committed before that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from phonelist.dispatch.outbox import HANDED_OVER
from phonelist.policy.audience import US_DNC, facts_query, reduced_facts
from phonelist.policy.engine import decide
from phonelist.policy.facts import Decision, Send
from phonelist.policy.service import PolicyService
from phonelist.store.consent_models import Message, RegistryImport
from phonelist.store.policy_models import policy_facts

__all__ = ["Pending", "decide_batch"]


@dataclass(frozen=True, slots=True)
class Pending:
    """A claimed message, as the check needs it."""

    id: str
    workspace_id: int
    e164: str
    e164_index: bytes
    contact_id: str | None
    channel: str
    purpose: str
    sender: str | None


def decide_batch(
    policy: PolicyService, messages: Sequence[Pending], at: dt.datetime
) -> dict[str, Decision]:
    """The engine's decision for each message (by message id), at ``at``."""
    groups: dict[tuple[int, str, str, str | None], list[Pending]] = {}
    for m in messages:
        groups.setdefault((m.workspace_id, m.channel, m.purpose, m.sender), []).append(m)
    decisions: dict[str, Decision] = {}
    for (workspace, channel, purpose, sender), group in groups.items():
        decisions.update(_decide_group(policy, workspace, channel, purpose, sender, group, at))
    missing = [m for m in messages if m.id not in decisions]
    if missing:
        decisions.update(_decide_one_by_one(policy, missing, at))
    return decisions


def _decide_group(
    policy: PolicyService,
    workspace: int,
    channel: str,
    purpose: str,
    sender: str | None,
    group: list[Pending],
    at: dt.datetime,
) -> dict[str, Decision]:
    """The bulk path of ``decide_audience`` (the same rows, facts and engine) for one group.

    Read here rather than through ``decide_rows`` so that the send history is read for the
    group's numbers only, not for the whole workspace at every round.
    """
    indexes = sorted({m.e164_index for m in group})
    emergency = purpose == "emergency"
    with policy.store.read() as session:
        connection = session.connection()
        query = facts_query(workspace, channel, purpose, policy.rules).where(
            policy_facts.c.e164_index.in_(indexes)
        )
        found: dict[bytes, list[Any]] = {}
        for row in connection.execute(query):
            found.setdefault(bytes(row[1]), []).append(row)
        history = _history(connection, policy, workspace, indexes, [m.id for m in group], at)
        dates = {
            code: day
            for code, day in connection.execute(
                select(RegistryImport.area_code, func.max(RegistryImport.registry_date))
                .where(
                    RegistryImport.workspace_id == workspace,
                    RegistryImport.registry_name == US_DNC,
                )
                .group_by(RegistryImport.area_code)
            )
        }
    decisions: dict[str, Decision] = {}
    memo: dict[tuple[Any, ...], Decision] = {}
    for m in group:
        candidates = found.get(m.e164_index)
        if not candidates:
            continue  # decided one by one
        row = next((r for r in candidates if r[0] == m.contact_id), candidates[0])
        sends = history.get(m.e164_index, ())
        key = (*row[2:], sends)
        decision = memo.get(key)
        if decision is None:
            facts = reduced_facts(row, channel, purpose, at, dates, emergency)
            decision = memo[key] = decide(
                facts, channel, purpose, at, sends, policy.rules, sender=sender
            )
        decisions[m.id] = decision
    return decisions


def _history(
    connection: Connection,
    policy: PolicyService,
    workspace: int,
    indexes: list[bytes],
    deciding: list[str],
    at: dt.datetime,
) -> dict[bytes, tuple[Send, ...]]:
    """The sends that caps count (``PolicyService.facts_for``'s rows), for these numbers.

    The messages being decided are ``sending`` (claimed) already: they do not count
    themselves.
    """
    query = select(
        Message.e164_index,
        Message.at,
        Message.channel,
        Message.purpose,
        Message.sender,
        Message.subject,
    ).where(
        Message.workspace_id == workspace,
        Message.e164_index.in_(indexes),
        Message.id.not_in(deciding),
        Message.direction == "out",
        Message.status.in_(HANDED_OVER),
        Message.at > at - policy.history_window,
        Message.at <= at,
    )
    found: dict[bytes, list[Send]] = {}
    for m in connection.execute(query):
        found.setdefault(bytes(m[0]), []).append(
            Send(m[1], m[2], m[3] or "informational", m[4], m[5])
        )
    return {k: tuple(sorted(v, key=lambda s: (s.at, s.channel))) for k, v in found.items()}


def _decide_one_by_one(
    policy: PolicyService, messages: Sequence[Pending], at: dt.datetime
) -> dict[str, Decision]:
    """``check``'s reads for each number (facts_for), minus the messages being decided."""
    decisions: dict[str, Decision] = {}
    deciding = [m.id for m in messages]
    with policy.store.read() as session:
        for m in messages:
            facts, _ = policy.facts_for(
                session, m.workspace_id, m.e164, at, emergency_override=m.purpose == "emergency"
            )
            sends = _history(
                session.connection(), policy, m.workspace_id, [m.e164_index], deciding, at
            ).get(m.e164_index, ())
            decisions[m.id] = decide(
                facts, m.channel, m.purpose, at, sends, policy.rules, sender=m.sender
            )
    return decisions
