"""The consent ledger (COMPLIANCE.md C2): append-only, hash-chained records and their state.

Every record gets the next ``seq`` of its workspace and a MAC over its content and the previous
record's MAC, keyed from the keyring: ``verify`` finds any edit, deletion or reordering, and an
attacker holding only the database cannot forge a new chain. The head row (last ``seq`` and
MAC) catches a deleted tail and serialises appends. The MAC covers plaintext values, so key
rotation (which re-seals ciphertexts) does not break the chain.

The current state of each (number, channel, purpose) is a fold of the records (:func:`fold`),
kept in ``consent_states`` for speed and rebuilt from the records by :meth:`Ledger.rebuild`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from phonelist.errors import PhonelistError
from phonelist.ids import new_id
from phonelist.policy.facts import CASL_IMPLIED, SOFT_OPT_IN, Consent
from phonelist.security.crypto import Keyring
from phonelist.store.consent_models import ConsentState, LedgerHead
from phonelist.store.models import ConsentRecord

__all__ = [
    "CONSENT_PAIRS",
    "Entry",
    "Ledger",
    "StateValue",
    "VerifyReport",
    "fact_of",
    "fold",
]

GENESIS = "0" * 32
CONSENT_PAIRS = tuple(
    (channel, purpose) for channel in ("sms", "voice") for purpose in ("marketing", "informational")
)
IMPLICIT_METHODS = frozenset({SOFT_OPT_IN, *CASL_IMPLIED})
ACTIONS = ("grant", "revoke", "request")


@dataclass(frozen=True, slots=True)
class Entry:
    """One event to append: a grant, a revocation, or a double opt-in request (C2, C3, O3)."""

    e164: str
    channel: str
    purpose: str
    action: str
    method: str
    occurred_at: dt.datetime
    sender: str | None = None
    affirmative_action: str | None = None
    disclosure_id: str | None = None
    disclosure_text: str | None = None
    disclosure_version: str | None = None
    disclosure_hash: str | None = None
    written: bool = False
    language: str | None = None
    source_url: str | None = None
    form_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    evidence_ref: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    scope: str = "one"  # "all": a revocation of every channel and purpose (O3)
    expires_at: dt.datetime | None = None
    import_job_id: str | None = None
    basis: str | None = None


@dataclass(frozen=True, slots=True)
class StateValue:
    status: str
    method: str
    written: bool
    sender: str | None
    since: dt.datetime
    expires_at: dt.datetime | None
    evidence: tuple[str, ...]
    record_id: str

    def as_consent(self, channel: str, purpose: str) -> Consent:
        return Consent(
            channel=channel,
            purpose=purpose,
            status=self.status,
            method=self.method,
            since=self.since,
            written=self.written,
            sender=self.sender,
            expires_at=self.expires_at,
            evidence=frozenset(self.evidence),
        )


@dataclass(frozen=True, slots=True)
class Fact:
    """The part of a record that the state depends on (what :func:`fold` reads)."""

    id: str
    channel: str
    purpose: str
    action: str
    method: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    written: bool = False
    sender: str | None = None
    scope: str = "one"
    expires_at: dt.datetime | None = None
    evidence: tuple[str, ...] = ()


def fold(
    facts: Iterable[Fact], start: Mapping[tuple[str, str], StateValue] | None = None
) -> dict[tuple[str, str], StateValue]:
    """The state after applying ``facts`` in ledger order.

    A revocation always applies, from the moment it was committed. After it, only an explicit
    grant that occurred later than that moment re-activates consent: an imported grant dated
    before the revocation, a soft opt-in or an implied consent never does (the invariant of
    COMPLIANCE.md section 8).
    """
    state = dict(start or {})
    for fact in facts:
        pairs = CONSENT_PAIRS if fact.scope == "all" else ((fact.channel, fact.purpose),)
        for pair in pairs:
            current = state.get(pair)
            if fact.action == "revoke":
                state[pair] = StateValue(
                    "revoked", fact.method, False, None, fact.recorded_at, None, (), fact.id
                )
                continue
            if (
                current is not None
                and current.status == "revoked"
                and (fact.method in IMPLICIT_METHODS or fact.occurred_at <= current.since)
            ):
                continue
            if fact.action == "request":
                if current is None or current.status != "granted":
                    state[pair] = StateValue(
                        "pending",
                        fact.method,
                        False,
                        fact.sender,
                        fact.occurred_at,
                        None,
                        (),
                        fact.id,
                    )
                continue
            state[pair] = StateValue(
                "granted",
                fact.method,
                fact.written,
                fact.sender,
                fact.occurred_at,
                fact.expires_at,
                fact.evidence,
                fact.id,
            )
    return state


@dataclass(frozen=True, slots=True)
class VerifyReport:
    records: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


class Ledger:
    """Appends to, verifies and folds the consent records of a workspace."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    # -- append ---------------------------------------------------------------------------------
    def append(
        self, session: Session, workspace_id: int, actor: str, entry: Entry, now: dt.datetime
    ) -> ConsentRecord:
        """Append ``entry`` in the caller's transaction; updates the chain head and the state."""
        if entry.action not in ACTIONS:
            raise ValueError(f"unknown ledger action {entry.action!r}")
        head = self._lock_head(session, workspace_id)
        self._chain_legacy(session, workspace_id, head)
        if head.seq:
            # Recording times follow the chain: a caller's clock (or a replayed instant) that
            # is behind the last record cannot date a revocation before what is already there.
            last = session.scalar(
                select(ConsentRecord.recorded_at).where(
                    ConsentRecord.workspace_id == workspace_id, ConsentRecord.seq == head.seq
                )
            )
            if last is not None and last > now:
                now = last
        record_id = new_id()
        seal = self.keyring.encrypt
        record = ConsentRecord(
            id=record_id,
            workspace_id=workspace_id,
            e164_index=self.keyring.blind_index("phone", entry.e164),
            e164_enc=seal(entry.e164, table="consent_records", column="e164", row_id=record_id),
            channel=entry.channel,
            purpose=entry.purpose,
            sender=entry.sender,
            action=entry.action,
            occurred_at=entry.occurred_at,
            recorded_at=now,
            method=entry.method,
            affirmative_action=entry.affirmative_action,
            disclosure_text=entry.disclosure_text,
            disclosure_version=entry.disclosure_version,
            disclosure_hash=entry.disclosure_hash
            or (
                hashlib.sha256(entry.disclosure_text.encode()).hexdigest()
                if entry.disclosure_text
                else None
            ),
            disclosure_id=entry.disclosure_id,
            language=entry.language,
            source_url=entry.source_url,
            form_id=entry.form_id,
            ip_enc=seal(entry.ip, table="consent_records", column="ip", row_id=record_id)
            if entry.ip
            else None,
            user_agent_enc=seal(
                entry.user_agent, table="consent_records", column="user_agent", row_id=record_id
            )
            if entry.user_agent
            else None,
            actor=actor,
            evidence_ref=entry.evidence_ref,
            import_job_id=entry.import_job_id,
            basis=entry.basis,
            written=entry.written,
            scope=entry.scope,
            expires_at=entry.expires_at,
            evidence=dict(entry.evidence),
            seq=head.seq + 1,
            prev_hash=head.hash,
        )
        record.hash = self._mac(head.hash, record, entry.e164, entry.ip, entry.user_agent)
        session.add(record)
        head.seq, head.hash = record.seq or 0, record.hash
        self._apply_state(session, workspace_id, record)
        return record

    def _lock_head(self, session: Session, workspace_id: int) -> LedgerHead:
        dialect = session.get_bind().dialect.name
        values = {"workspace_id": workspace_id, "seq": 0, "hash": GENESIS}
        if dialect == "postgresql":
            session.execute(postgresql.insert(LedgerHead).values(values).on_conflict_do_nothing())
        else:
            session.execute(sqlite.insert(LedgerHead).values(values).on_conflict_do_nothing())
        head = session.scalars(
            select(LedgerHead)
            .where(LedgerHead.workspace_id == workspace_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        return head

    def _chain_legacy(self, session: Session, workspace_id: int, head: LedgerHead) -> None:
        """Give records written before the chain existed their place in it, oldest first."""
        legacy = session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.workspace_id == workspace_id, ConsentRecord.seq.is_(None))
            .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
        ).all()
        for record in legacy:
            record.seq = head.seq + 1
            record.prev_hash = head.hash
            e164, ip, agent = self._plaintexts(record)
            record.hash = self._mac(head.hash, record, e164, ip, agent)
            head.seq, head.hash = record.seq, record.hash
            self._apply_state(session, workspace_id, record)
        if legacy:
            session.flush()

    # -- the chain ------------------------------------------------------------------------------
    def _mac(
        self, prev: str, record: ConsentRecord, e164: str, ip: str | None, agent: str | None
    ) -> str:
        content = {
            "id": record.id,
            "workspace_id": record.workspace_id,
            "seq": record.seq,
            "prev": prev,
            "e164": e164,
            "channel": record.channel,
            "purpose": record.purpose,
            "sender": record.sender,
            "action": record.action,
            "occurred_at": _iso(record.occurred_at),
            "recorded_at": _iso(record.recorded_at),
            "method": record.method,
            "affirmative_action": record.affirmative_action,
            "disclosure_text": record.disclosure_text,
            "disclosure_version": record.disclosure_version,
            "disclosure_hash": record.disclosure_hash,
            "disclosure_id": record.disclosure_id,
            "language": record.language,
            "source_url": record.source_url,
            "form_id": record.form_id,
            "ip": ip,
            "user_agent": agent,
            "actor": record.actor,
            "evidence_ref": record.evidence_ref,
            "import_job_id": record.import_job_id,
            "basis": record.basis,
            "written": bool(record.written),
            "scope": record.scope or "one",
            "expires_at": _iso(record.expires_at),
            "evidence": record.evidence or {},
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        return self.keyring.blind_index("consent-ledger", canonical).hex()

    def _plaintexts(self, record: ConsentRecord) -> tuple[str, str | None, str | None]:
        open_ = self.keyring.decrypt
        where = {"table": "consent_records", "row_id": record.id}
        e164 = open_(record.e164_enc, column="e164", **where)
        ip = open_(record.ip_enc, column="ip", **where) if record.ip_enc else None
        agent = (
            open_(record.user_agent_enc, column="user_agent", **where)
            if record.user_agent_enc
            else None
        )
        return e164, ip, agent

    def verify(self, session: Session, workspace_id: int) -> VerifyReport:
        """Walk the chain: every link, every MAC, the head. Lists each problem found."""
        problems: list[str] = []
        prev, expected_seq, count = GENESIS, 1, 0
        rows = session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.workspace_id == workspace_id)
            .order_by(ConsentRecord.seq.is_(None), ConsentRecord.seq, ConsentRecord.id)
        )
        for record in rows:
            count += 1
            if record.seq is None:
                problems.append(f"record {record.id} is not chained yet")
                continue
            if record.seq != expected_seq:
                problems.append(
                    f"record {record.id}: sequence {record.seq}, expected {expected_seq} "
                    "(records deleted or reordered)"
                )
            if record.prev_hash != prev:
                problems.append(
                    f"record {record.id} (#{record.seq}) does not follow the one before"
                )
            try:
                e164, ip, agent = self._plaintexts(record)
            except PhonelistError:  # a record that does not open is a finding, not a crash
                problems.append(f"record {record.id} (#{record.seq}): sealed fields do not open")
            else:
                if self._mac(record.prev_hash or "", record, e164, ip, agent) != record.hash:
                    problems.append(f"record {record.id} (#{record.seq}) was changed after writing")
            prev, expected_seq = record.hash or "", (record.seq or 0) + 1
        head = session.get(LedgerHead, workspace_id)
        last = expected_seq - 1
        if head is None:
            if last:
                problems.append("the ledger head is missing")
        elif head.seq != last or head.hash != prev:
            problems.append(
                f"the ledger ends at #{last} but its head says #{head.seq}: records were deleted "
                "from the end or the head was changed"
            )
        return VerifyReport(records=count, problems=tuple(problems))

    # -- state ----------------------------------------------------------------------------------
    def _apply_state(self, session: Session, workspace_id: int, record: ConsentRecord) -> None:
        pairs = CONSENT_PAIRS if record.scope == "all" else ((record.channel, record.purpose),)
        current = {
            (row.channel, row.purpose): row
            for row in session.scalars(
                select(ConsentState).where(
                    ConsentState.workspace_id == workspace_id,
                    ConsentState.e164_index == record.e164_index,
                )
            )
        }
        start = {pair: _value(row) for pair, row in current.items() if pair in pairs}
        after = fold([fact_of(record)], start)
        for pair in pairs:
            value = after.get(pair)
            if value is None:
                continue
            row = current.get(pair)
            if row is None:
                session.add(_state_row(workspace_id, record.e164_index, pair, value))
            else:
                _assign(row, value)
        session.flush()

    def derive(
        self, session: Session, workspace_id: int
    ) -> dict[tuple[bytes, str, str], StateValue]:
        """The state of every number, folded from the records alone."""
        by_number: dict[bytes, list[Fact]] = {}
        for record in session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.workspace_id == workspace_id)
            .order_by(ConsentRecord.seq.is_(None), ConsentRecord.seq, ConsentRecord.id)
        ):
            by_number.setdefault(record.e164_index, []).append(fact_of(record))
        derived: dict[tuple[bytes, str, str], StateValue] = {}
        for index, facts in by_number.items():
            for (channel, purpose), value in fold(facts).items():
                derived[(index, channel, purpose)] = value
        return derived

    def stored(
        self, session: Session, workspace_id: int
    ) -> dict[tuple[bytes, str, str], StateValue]:
        return {
            (row.e164_index, row.channel, row.purpose): _value(row)
            for row in session.scalars(
                select(ConsentState).where(ConsentState.workspace_id == workspace_id)
            )
        }

    def rebuild(self, session: Session, workspace_id: int) -> int:
        """Recompute ``consent_states`` from the records; returns how many rows differed."""
        derived = self.derive(session, workspace_id)
        stored = self.stored(session, workspace_id)
        changed = sum(
            1 for key in derived.keys() | stored.keys() if derived.get(key) != stored.get(key)
        )
        session.execute(delete(ConsentState).where(ConsentState.workspace_id == workspace_id))
        session.add_all(
            _state_row(workspace_id, index, (channel, purpose), value)
            for (index, channel, purpose), value in derived.items()
        )
        session.flush()
        return changed

    def state_of(
        self, session: Session, workspace_id: int, e164: str
    ) -> dict[tuple[str, str], StateValue]:
        index = self.keyring.blind_index("phone", e164)
        return {
            (row.channel, row.purpose): _value(row)
            for row in session.scalars(
                select(ConsentState).where(
                    ConsentState.workspace_id == workspace_id, ConsentState.e164_index == index
                )
            )
        }

    def records_of(self, session: Session, workspace_id: int, e164: str) -> Sequence[ConsentRecord]:
        index = self.keyring.blind_index("phone", e164)
        return session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.workspace_id == workspace_id, ConsentRecord.e164_index == index)
            # Ledger order on every backend: records not chained yet come last, as in derive().
            .order_by(ConsentRecord.seq.is_(None), ConsentRecord.seq, ConsentRecord.id)
        ).all()


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def fact_of(record: ConsentRecord) -> Fact:
    return Fact(
        id=record.id,
        channel=record.channel,
        purpose=record.purpose,
        action=record.action,
        method=record.method,
        occurred_at=record.occurred_at or record.recorded_at,
        recorded_at=record.recorded_at,
        written=bool(record.written),
        sender=record.sender,
        scope=record.scope or "one",
        expires_at=record.expires_at,
        evidence=tuple(sorted(k for k, v in (record.evidence or {}).items() if v is True)),
    )


def _value(row: ConsentState) -> StateValue:
    return StateValue(
        status=row.status,
        method=row.method,
        written=bool(row.written),
        sender=row.sender,
        since=row.since,
        expires_at=row.expires_at,
        evidence=tuple(row.evidence or ()),
        record_id=row.record_id,
    )


def _state_row(
    workspace_id: int, index: bytes, pair: tuple[str, str], value: StateValue
) -> ConsentState:
    row = ConsentState(
        workspace_id=workspace_id, e164_index=index, channel=pair[0], purpose=pair[1]
    )
    _assign(row, value)
    return row


def _assign(row: ConsentState, value: StateValue) -> None:
    row.status = value.status
    row.method = value.method
    row.written = value.written
    row.sender = value.sender
    row.since = value.since
    row.expires_at = value.expires_at
    row.evidence = list(value.evidence)
    row.record_id = value.record_id
