"""The policy engine against the store: load a number's facts, decide one, or decide an audience.

``check`` loads everything :func:`~phonelist.policy.engine.decide` reads for one number.
``decide_audience`` is the bulk path: SQL reduces each contact to the few values the rules read
(consent flags relative to the instant, registry and suppression membership), contacts with
equal values share one call of ``decide``, and each chunk is read in its own transaction, so an
opt-out committed while an audience is being decided is honoured by every chunk read after it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Text,
    TypeDecorator,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from phonelist.errors import ValidationError
from phonelist.numbers import analyze, area_code, normalize
from phonelist.policy.engine import decide, profile_of
from phonelist.policy.facts import CASL_IMPLIED, CHANNELS, PURPOSES, Consent, Decision, Facts, Send
from phonelist.policy.rules import RuleSet
from phonelist.policy.states import us_state
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.consent_models import ConsentState, Message, RegistryImport, RegistryNumber
from phonelist.store.models import Contact, LineLookup, PhoneNumber, Suppression

__all__ = ["Check", "PolicyService"]

US_DNC, PT_OPTOUT = "us_dnc", "pt_optout"


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
                    Message.status.in_(("queued", "sent")),
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

        Equal to ``check`` for each contact; a Hypothesis test holds the two together.
        """
        actor.require(Permission.POLICY_CHECK)
        _check_args(channel, purpose, at)
        workspace = actor.workspace_id
        registry = self.rules.registry
        memo: dict[tuple[Any, ...], Decision] = {}
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
                    facts, channel, purpose, at, probe, self.rules, sender=sender, subject=subject
                ).capped
            )

        wanted = sorted(set(contact_ids)) if contact_ids is not None else None
        with self.store.read() as session:
            # Recent sends are read once per run: caps are about what this run and earlier
            # ones sent, not about opt-outs (which every chunk reads afresh).
            history = self._history(session.connection(), workspace, at)
        while True:
            with self.store.read() as session:
                dates = self._registry_dates(session, workspace)
                query = self._audience_query(workspace, channel, purpose, at, registry)
                if wanted is not None:
                    batch_ids = [i for i in wanted if i > after][:chunk_size]
                    if not batch_ids:
                        return
                    query = query.where(Contact.id.in_(batch_ids))
                query = query.where(Contact.id > after).order_by(Contact.id).limit(chunk_size)
                connection = session.connection()  # Core rows: no ORM bookkeeping per row
                rows = connection.execute(query).all()
                if not rows:
                    return
                span = (after, rows[-1][0])
                kinds = self._suppressions(connection, workspace, span)
            for row in rows:
                contact_id, index = row[0], row[1]
                sends = history.get(index, ())
                if sends and not counts_sends(row[2], row[3], row[6], row[7]):
                    sends = ()  # no cap applies to this number: its sends change nothing
                key = (*row[2:], kinds.get(index, frozenset()), sends)
                decision = memo.get(key)
                if decision is None:
                    facts = self._reduced_facts(
                        row, channel, purpose, kinds.get(index), at, dates, emergency_override
                    )
                    decision = decide(
                        facts,
                        channel,
                        purpose,
                        at,
                        sends,
                        self.rules,
                        sender=sender,
                        subject=subject,
                    )
                    memo[key] = decision
                yield contact_id, decision
            after = rows[-1][0]
            if len(rows) < chunk_size:
                return
            if between_chunks is not None:
                between_chunks()

    def _audience_query(
        self, workspace: int, channel: str, purpose: str, at: dt.datetime, registry: Any
    ) -> Any:
        dnc = aliased(RegistryNumber)
        pt = aliased(RegistryNumber)
        optout = self.rules.national_optout
        registered = dnc.e164_index.is_not(None)
        # Instants are read only where the rules can use them (an expiring consent, the business
        # relationship of a registered number): elsewhere they would only keep contacts from
        # sharing one decision.
        expiring = or_(ConsentState.expires_at.is_not(None), ConsentState.method.in_(CASL_IMPLIED))
        return (
            select(
                Contact.id,
                PhoneNumber.e164_index,
                PhoneNumber.region,
                PhoneNumber.area_code,
                cast(PhoneNumber.time_zones, Text),
                Contact.time_zone,
                Contact.country,
                Contact.region,
                ConsentState.status,
                ConsentState.method,
                cast(ConsentState.written, Integer),
                ConsentState.sender,
                cast(ConsentState.evidence, Text),
                type_coerce(case((expiring, ConsentState.since), else_=None), Raw()),
                type_coerce(ConsentState.expires_at, Raw()),
                case(
                    (
                        and_(
                            LineLookup.reassigned.is_(True),
                            func.date(ConsentState.since) <= LineLookup.reassigned_since,
                        ),
                        1,
                    ),
                    else_=0,
                ),
                type_coerce(case((registered, Contact.last_purchase_at), else_=None), Raw()),
                type_coerce(case((registered, Contact.last_inquiry_at), else_=None), Raw()),
                case((dnc.e164_index.is_not(None), 1), else_=0),
                case((pt.e164_index.is_not(None), 1), else_=0),
                cast(Contact.legal_person, Integer),
            )
            .join(
                PhoneNumber,
                and_(PhoneNumber.contact_id == Contact.id, PhoneNumber.is_primary.is_(True)),
            )
            .outerjoin(
                ConsentState,
                and_(
                    ConsentState.workspace_id == workspace,
                    ConsentState.e164_index == PhoneNumber.e164_index,
                    ConsentState.channel == channel,
                    ConsentState.purpose == purpose,
                ),
            )
            # Each look-up below is made only where the engine reads its answer (terms on
            # the outer tables are tested before the index is searched).
            .outerjoin(
                LineLookup,
                and_(
                    ConsentState.status.is_not(None),  # D4 voids a consent: none, nothing to void
                    LineLookup.workspace_id == workspace,
                    LineLookup.e164_index == PhoneNumber.e164_index,
                ),
            )
            .outerjoin(
                dnc,
                and_(
                    literal(purpose == "marketing" and registry is not None),
                    PhoneNumber.region.in_(sorted(registry.regions) if registry else []),
                    dnc.workspace_id == workspace,
                    dnc.registry_name == US_DNC,
                    dnc.e164_index == PhoneNumber.e164_index,
                ),
            )
            .outerjoin(
                pt,
                and_(
                    literal(purpose == "marketing" and optout is not None),
                    PhoneNumber.region.in_(sorted(optout.regions) if optout else []),
                    pt.workspace_id == workspace,
                    pt.registry_name == PT_OPTOUT,
                    pt.e164_index == PhoneNumber.e164_index,
                ),
            )
            # "+ 0": not the workspace/status index, so that SQLite walks the primary key in
            # order (a range per chunk) instead of sorting the whole workspace for each chunk.
            .where(Contact.workspace_id + 0 == workspace)
        )

    def _reduced_facts(
        self,
        row: Any,
        channel: str,
        purpose: str,
        kinds: frozenset[str] | None,
        at: dt.datetime,
        dates: dict[str, dt.date],
        emergency_override: bool,
    ) -> Facts:
        """Facts that every rule reads like the contact's own: dates become SQL's flags."""
        (
            _,
            _,
            region,
            code,
            zones,
            contact_tz,
            country,
            contact_region,
            status,
            method,
            written,
            sender,
            evidence,
            since,
            expires,
            void,
            purchase,
            inquiry,
            dnc,
            pt,
            legal,
        ) = row
        consents: tuple[Consent, ...] = ()
        if status is not None:
            consents = (
                Consent(
                    channel=channel,
                    purpose=purpose,
                    status=status,
                    method=method,
                    since=_instant(since) or at,
                    written=bool(written),
                    sender=sender,
                    expires_at=_instant(expires),
                    evidence=frozenset(json.loads(evidence) if evidence else ()),
                ),
            )
        return Facts(
            region=region,
            area_code=code,
            number_time_zones=tuple(json.loads(zones)) if zones else (),
            contact_time_zone=contact_tz,
            state=us_state(country, contact_region),
            consents=consents,
            suppressions=kinds or frozenset(),
            dnc_registered=bool(dnc),
            registry_date=dates.get(code) if code else None,
            national_optout_listed=bool(pt),
            legal_person=bool(legal),
            last_purchase_at=_instant(purchase),
            last_inquiry_at=_instant(inquiry),
            disconnected_on=at.date() if void else None,
            emergency_override=emergency_override,
        )

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

    def _suppressions(
        self, connection: Connection, workspace: int, span: tuple[str, str]
    ) -> dict[bytes, frozenset[str]]:
        """Active suppressions of the primary numbers of contacts in ``span`` (after, last]."""
        found: dict[bytes, set[str]] = {}
        query = (
            select(PhoneNumber.e164_index, Suppression.kind)
            .join(
                Suppression,
                and_(
                    Suppression.workspace_id == workspace,
                    Suppression.e164_index == PhoneNumber.e164_index,
                    Suppression.lifted_at.is_(None),
                ),
            )
            .where(_primary_in(workspace, span))
        )
        for index, kind in connection.execute(query):
            found.setdefault(index, set()).add(kind)
        return {k: frozenset(v) for k, v in found.items()}

    def _history(
        self, connection: Connection, workspace: int, at: dt.datetime
    ) -> dict[bytes, tuple[Send, ...]]:
        """Every send inside the longest cap window before ``at``, by number."""
        found: dict[bytes, list[Send]] = {}
        query = select(
            Message.e164_index,
            Message.at,
            Message.channel,
            Message.purpose,
            Message.sender,
            Message.subject,
        ).where(
            Message.workspace_id == workspace,
            Message.at > at - self.history_window,
            Message.at <= at,
            Message.direction == "out",
            Message.status.in_(("queued", "sent")),
        )
        for m in connection.execute(query):
            found.setdefault(m[0], []).append(Send(m[1], m[2], m[3] or "informational", m[4], m[5]))
        return {k: tuple(sorted(v, key=lambda s: (s.at, s.channel))) for k, v in found.items()}


class Raw(TypeDecorator[Any]):
    """A column read as the driver gives it: no per-row conversion (see :func:`_instant`)."""

    impl = String
    cache_ok = True


def _instant(value: Any) -> dt.datetime | None:
    """A stored UTC instant as the driver returned it (text on SQLite), made aware."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _primary_in(workspace: int, span: tuple[str, str]) -> Any:
    return and_(
        PhoneNumber.workspace_id == workspace,
        PhoneNumber.is_primary.is_(True),
        PhoneNumber.contact_id > span[0],
        PhoneNumber.contact_id <= span[1],
    )


def _check_args(channel: str, purpose: str, at: dt.datetime) -> None:
    if channel not in CHANNELS:
        raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    if purpose not in PURPOSES:
        raise ValidationError(f"purpose must be one of {', '.join(PURPOSES)}", field="purpose")
    if at.tzinfo is None:
        raise ValidationError("the instant needs a time zone (e.g. Z)", field="at")
