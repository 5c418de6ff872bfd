"""The policy engine against the store: load a number's facts, decide one, or decide an audience.

``check`` loads everything :func:`~phonelist.policy.engine.decide` reads for one number.
``decide_audience`` is the bulk path: SQL reduces each contact to the few values the rules read
(consent flags relative to the instant, registry and suppression membership), contacts with
equal values share one call of ``decide``, and each chunk is read in its own transaction, so an
opt-out committed while an audience is being decided is honoured by every chunk read after it.
The rows come from ``policy_facts``, which triggers keep in the transaction of every write
(migration 0008, :mod:`phonelist.policy.audience`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from phonelist.errors import ValidationError
from phonelist.numbers import analyze, area_code, normalize
from phonelist.policy.audience import (
    PT_OPTOUT,
    US_DNC,
    Raw,
    facts_query,
    instant,
    reduced_facts,
)
from phonelist.policy.engine import DecisionMemo, decide, profile_of
from phonelist.policy.facts import CHANNELS, PURPOSES, Consent, Decision, Facts, Send
from phonelist.policy.rules import RuleSet
from phonelist.policy.states import us_state
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.consent_models import ConsentState, Message, RegistryImport, RegistryNumber
from phonelist.store.models import Contact, LineLookup, PhoneNumber, Suppression
from phonelist.store.policy_models import policy_facts

__all__ = ["Check", "ChunkReader", "PolicyService"]

# (connection, workspace, channel, purpose, after contact id, contact ids or None, limit): the
# next chunk's rows in contact order, laid out as audience.COLUMNS.
ChunkReader = Callable[[Connection, int, str, str, str, list[str] | None, int], Sequence[Any]]


@dataclass(frozen=True, slots=True)
class Check:
    e164: str
    facts: Facts
    history: tuple[Send, ...]
    decision: Decision


class PolicyService:
    def __init__(self, store: Store, keyring: Keyring, rules: RuleSet, default_region: str) -> None:
        self.store = store
        self.keyring = keyring
        self.rules = rules
        self.default_region = default_region

    @property
    def history_window(self) -> dt.timedelta:
        """How far back sends matter: the longest cap window (at least a day)."""
        return max([cap.window for cap in self.rules.caps] + [dt.timedelta(days=1)])

    # -- one number -----------------------------------------------------------------------------
    def check(
        self,
        actor: Actor,
        number: str,
        channel: str,
        purpose: str,
        at: dt.datetime,
        *,
        sender: str | None = None,
        subject: str | None = None,
        emergency_override: bool = False,
    ) -> Check:
        actor.require(Permission.POLICY_CHECK)
        _check_args(channel, purpose, at)
        e164 = normalize(number, self.default_region).e164
        with self.store.read() as session:
            facts, history = self.facts_for(
                session, actor.workspace_id, e164, at, emergency_override=emergency_override
            )
        decision = decide(
            facts, channel, purpose, at, history, self.rules, sender=sender, subject=subject
        )
        return Check(e164, facts, history, decision)

    def facts_for(
        self,
        session: Session,
        workspace_id: int,
        e164: str,
        at: dt.datetime,
        *,
        emergency_override: bool = False,
    ) -> tuple[Facts, tuple[Send, ...]]:
        """Everything the engine reads about ``e164``, as committed now."""
        index = self.keyring.blind_index("phone", e164)
        row = session.execute(
            select(PhoneNumber, Contact)
            .join(Contact, Contact.id == PhoneNumber.contact_id)
            .where(PhoneNumber.workspace_id == workspace_id, PhoneNumber.e164_index == index)
        ).first()
        contact: Contact | None = None
        if row is not None:
            phone, contact = row
            region, zones, code = phone.region, tuple(phone.time_zones or ()), phone.area_code
            code = code or area_code(e164)
        else:
            found = analyze(e164, None, self.default_region)
            region, zones, code = found.region, found.time_zones, area_code(e164)
        consents = tuple(
            Consent(
                channel=s.channel,
                purpose=s.purpose,
                status=s.status,
                method=s.method,
                since=s.since,
                written=bool(s.written),
                sender=s.sender,
                expires_at=s.expires_at,
                evidence=frozenset(s.evidence or ()),
            )
            for s in session.scalars(
                select(ConsentState).where(
                    ConsentState.workspace_id == workspace_id, ConsentState.e164_index == index
                )
            )
        )
        kinds = frozenset(
            session.scalars(
                select(Suppression.kind).where(
                    Suppression.workspace_id == workspace_id,
                    Suppression.e164_index == index,
                    Suppression.lifted_at.is_(None),
                )
            )
        )
        listed = set(
            session.scalars(
                select(RegistryNumber.registry_name).where(
                    RegistryNumber.workspace_id == workspace_id,
                    RegistryNumber.registry_name.in_((US_DNC, PT_OPTOUT)),  # the key's order
                    RegistryNumber.e164_index == index,
                )
            )
        )
        registry_date = None
        if code is not None:
            registry_date = session.scalar(
                select(func.max(RegistryImport.registry_date)).where(
                    RegistryImport.workspace_id == workspace_id,
                    RegistryImport.registry_name == US_DNC,
                    RegistryImport.area_code == code,
                )
            )
        lookup = session.get(LineLookup, (workspace_id, index))
        disconnected = lookup.reassigned_since if lookup is not None and lookup.reassigned else None
        history = tuple(
            Send(m.at, m.channel, m.purpose or "informational", m.sender, m.subject)
            for m in session.scalars(
                select(Message).where(
                    Message.workspace_id == workspace_id,
                    Message.e164_index == index,
                    Message.direction == "out",
                    Message.status.in_(("sending", "sent", "delivered", "undelivered")),
                    Message.at > at - self.history_window,
                    Message.at <= at,
                )
            )
        )
        facts = Facts(
            region=region,
            area_code=code,
            number_time_zones=zones,
            contact_time_zone=contact.time_zone if contact else None,
            state=us_state(contact.country, contact.region) if contact else None,
            consents=consents,
            suppressions=kinds,
            dnc_registered=US_DNC in listed,
            registry_date=registry_date,
            national_optout_listed=PT_OPTOUT in listed,
            legal_person=bool(contact.legal_person) if contact else False,
            last_purchase_at=contact.last_purchase_at if contact else None,
            last_inquiry_at=contact.last_inquiry_at if contact else None,
            disconnected_on=disconnected,
            emergency_override=emergency_override,
        )
        return facts, history

    # -- an audience ----------------------------------------------------------------------------
    def decide_audience(
        self,
        actor: Actor,
        channel: str,
        purpose: str,
        at: dt.datetime,
        *,
        contact_ids: Sequence[str] | None = None,
        sender: str | None = None,
        subject: str | None = None,
        emergency_override: bool = False,
        chunk_size: int = 50_000,
        between_chunks: Callable[[], None] | None = None,
    ) -> Iterator[tuple[str, Decision]]:
        """Decide every contact (their primary number), or those in ``contact_ids``.

        Equal to ``check`` for each contact; a Hypothesis test holds the two together. Each
        chunk is one range of ``policy_facts`` read in its own transaction.
        """
        return self.decide_rows(
            actor,
            channel,
            purpose,
            at,
            self._facts_chunk,
            contact_ids=contact_ids,
            sender=sender,
            subject=subject,
            emergency_override=emergency_override,
            chunk_size=chunk_size,
            between_chunks=between_chunks,
        )

    def decide_rows(
        self,
        actor: Actor,
        channel: str,
        purpose: str,
        at: dt.datetime,
        read: ChunkReader,
        *,
        contact_ids: Sequence[str] | None = None,
        sender: str | None = None,
        subject: str | None = None,
        emergency_override: bool = False,
        chunk_size: int = 50_000,
        between_chunks: Callable[[], None] | None = None,
    ) -> Iterator[tuple[str, Decision]]:
        """``decide_audience`` over the rows that ``read`` gives (layout: audience.COLUMNS)."""
        actor.require(Permission.POLICY_CHECK)
        _check_args(channel, purpose, at)
        workspace = actor.workspace_id
        rules = self.rules
        memo: dict[tuple[Any, ...], Decision] = {}  # by row: no profile to build
        shared = DecisionMemo(channel, purpose, at, rules)  # by profile: no rules to evaluate
        after = ""

        @lru_cache(maxsize=4096)
        def counts_sends(
            region: str | None, code: str | None, country: str | None, place: str | None
        ) -> bool:
            """Whether any cap applies: asked of the engine itself, so the answer is its own."""
            facts = Facts(region=region, area_code=code, state=us_state(country, place))
            probe = (Send(at, channel, purpose, sender, subject),)
            return bool(
                profile_of(
                    facts, channel, purpose, at, probe, rules, sender=sender, subject=subject
                ).capped
            )

        wanted = sorted(set(contact_ids)) if contact_ids is not None else None
        dates: dict[str, dt.date] = {}
        with self.store.read() as session:
            # Recent sends are read once per run: caps are about what this run and earlier
            # ones sent, not about opt-outs (which every chunk reads afresh).
            history = self._history(session.connection(), workspace, at)
        while True:
            batch_ids = None
            if wanted is not None:
                batch_ids = [i for i in wanted if i > after][:chunk_size]
                if not batch_ids:
                    return
            with self.store.read() as session:
                fresh = self._registry_dates(session, workspace)
                connection = session.connection()  # Core rows: no ORM bookkeeping per row
                rows = read(connection, workspace, channel, purpose, after, batch_ids, chunk_size)
            if not rows:
                return
            if fresh != dates:  # a registry import since the last chunk: rows decide anew
                dates = fresh
                memo.clear()
            sends_of, known = history.get, memo.get  # bound once: a million calls each
            for row in rows:
                sends = sends_of(row[1]) if history else None
                if sends is not None and not counts_sends(row[2], row[3], row[6], row[7]):
                    sends = None  # no cap applies to this number: its sends change nothing
                key = row[2:] if sends is None else (row[2:], sends)
                decision = known(key)
                if decision is None:
                    facts = reduced_facts(row, channel, purpose, at, dates, emergency_override)
                    profile = profile_of(
                        facts,
                        channel,
                        purpose,
                        at,
                        sends or (),
                        rules,
                        sender=sender,
                        subject=subject,
                    )
                    decision = memo[key] = shared.decide(profile)
                yield row[0], decision
            after = rows[-1][0]
            if len(rows) < chunk_size:
                return
            if between_chunks is not None:
                between_chunks()

    def _facts_chunk(
        self,
        connection: Connection,
        workspace: int,
        channel: str,
        purpose: str,
        after: str,
        contact_ids: list[str] | None,
        limit: int,
    ) -> Sequence[Any]:
        query = facts_query(workspace, channel, purpose, self.rules)
        if contact_ids is not None:
            query = query.where(policy_facts.c.contact_id.in_(contact_ids))
        query = query.where(policy_facts.c.contact_id > after).limit(limit)
        # The driver's own tuples: no column of the query has a result processor, and building
        # a Row for each of a million rows took as long as SQLite's reading them.
        result = connection.execute(query)
        try:
            rows: Sequence[Any] = result.cursor.fetchall()
        finally:
            result.close()
        return rows

    def _registry_dates(self, session: Session, workspace: int) -> dict[str, dt.date]:
        rows = session.execute(
            select(RegistryImport.area_code, func.max(RegistryImport.registry_date))
            .where(
                RegistryImport.workspace_id == workspace,
                RegistryImport.registry_name == US_DNC,
            )
            .group_by(RegistryImport.area_code)
        )
        return {code: day for code, day in rows}

    def _history(
        self, connection: Connection, workspace: int, at: dt.datetime
    ) -> dict[bytes, tuple[Send, ...]]:
        """Every send inside the longest cap window before ``at``, by number."""
        found: dict[bytes, list[Send]] = {}
        query = select(
            Message.e164_index,
            type_coerce(Message.at, Raw()),
            Message.channel,
            Message.purpose,
            Message.sender,
            Message.subject,
        ).where(
            Message.workspace_id == workspace,
            Message.at > at - self.history_window,
            Message.at <= at,
            Message.direction == "out",
            Message.status.in_(("sending", "sent", "delivered", "undelivered")),
        )
        result = connection.execute(query)
        try:
            for m in result.cursor.fetchall():  # driver tuples, as in _facts_chunk
                send = Send(instant(m[1]) or at, m[2], m[3] or "informational", m[4], m[5])
                found.setdefault(m[0], []).append(send)
        finally:
            result.close()
        return {k: tuple(sorted(v, key=lambda s: (s.at, s.channel))) for k, v in found.items()}


def _check_args(channel: str, purpose: str, at: dt.datetime) -> None:
    if channel not in CHANNELS:
        raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    if purpose not in PURPOSES:
        raise ValidationError(f"purpose must be one of {', '.join(PURPOSES)}", field="purpose")
    if at.tzinfo is None:
        raise ValidationError("the instant needs a time zone (e.g. Z)", field="at")
