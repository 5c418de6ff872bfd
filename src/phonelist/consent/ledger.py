"""The consent ledger (COMPLIANCE.md C2): append-only, hash-chained records and their state.

Every record gets the next ``seq`` of its workspace and a MAC over its content and the previous
record's MAC, keyed from the keyring: ``verify`` finds any edit, deletion or reordering, and an
attacker holding only the database cannot forge a new chain. The head row (last ``seq`` and
MAC) catches a deleted tail and serialises appends. The MAC covers no ciphertext, so key
rotation (which re-seals ciphertexts) does not break the chain; it covers personal values
through a keyed digest (:mod:`phonelist.consent.ledger_mac`), so :meth:`Ledger.redact` can
erase them (COMPLIANCE.md P2) and the chain still verifies.

The current state of each (number, channel, purpose) is a fold of the records (:func:`fold`),
kept in ``consent_states`` for speed and rebuilt from the records by :meth:`Ledger.rebuild`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from phonelist.audit import record as audit
from phonelist.consent import ledger_mac
from phonelist.consent.fold import (
    CONSENT_PAIRS,
    Fact,
    StateValue,
    assign,
    fact_of,
    fold,
    state_row,
    value_of,
)
from phonelist.errors import Conflict, PhonelistError
from phonelist.ids import new_id
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Role
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
            mac_version=ledger_mac.CURRENT_VERSION,
        )
        record.pii_digest = self._digest(record, entry.e164, entry.ip, entry.user_agent)
        record.hash = ledger_mac.mac(self.keyring, head.hash, record)
        session.add(record)
        head.seq, head.hash = record.seq or 0, record.hash
        self._apply_state(session, workspace_id, record)
        return record

    def _lock_head(self, session: Session, workspace_id: int) -> LedgerHead:
        dialect = session.get_bind().dialect.name
        values = {
            "workspace_id": workspace_id,
            "seq": 0,
            "hash": GENESIS,
            "mac_version": ledger_mac.CURRENT_VERSION,
        }
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
        if head.mac_version < ledger_mac.CURRENT_VERSION:
            self._upgrade(session, workspace_id, head)
        return head

    def _upgrade(self, session: Session, workspace_id: int, head: LedgerHead) -> None:
        """Re-chain a version-1 ledger under the current MAC, once, after it verifies.

        A chain that does not verify is not re-chained (that would launder the tampering):
        appends stop with an error until someone looks at ``phonelist consent verify``.
        """
        session.flush()
        report = self.verify(session, workspace_id)
        if not report.ok:
            raise Conflict(
                "the consent ledger does not verify, so it cannot be upgraded for erasure; "
                "run 'phonelist consent verify' to see why"
            )
        old_head = head.hash
        prev = GENESIS
        for row in session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.workspace_id == workspace_id, ConsentRecord.seq.is_not(None))
            .order_by(ConsentRecord.seq)
        ):
            e164, ip, agent = self._plaintexts(row)
            row.prev_hash = prev
            row.mac_version = ledger_mac.CURRENT_VERSION
            row.pii_digest = self._digest(row, e164 or "", ip, agent)
            row.hash = prev = ledger_mac.mac(self.keyring, prev, row)
        head.hash = prev
        head.mac_version = ledger_mac.CURRENT_VERSION
        system = Actor(workspace_id, Role.OWNER, "system", "ledger-upgrade")
        audit(
            session,
            system,
            "consent.ledger_upgrade",
            "ledger",
            str(workspace_id),
            {"records": report.records, "old_head": old_head, "new_head": prev, "version": 2},
        )
        session.flush()

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
            record.mac_version = ledger_mac.CURRENT_VERSION
            record.pii_digest = self._digest(record, e164 or "", ip, agent)
            record.hash = ledger_mac.mac(self.keyring, head.hash, record)
            head.seq, head.hash = record.seq, record.hash
            self._apply_state(session, workspace_id, record)
        if legacy:
            session.flush()

    # -- the chain ------------------------------------------------------------------------------
    def _digest(self, record: ConsentRecord, e164: str, ip: str | None, agent: str | None) -> str:
        return ledger_mac.pii_digest(
            self.keyring,
            e164=e164,
            ip=ip,
            user_agent=agent,
            evidence=record.evidence,
            evidence_ref=record.evidence_ref,
        )

    def _check(self, record: ConsentRecord) -> str | None:
        """What is wrong with one record's own content and MAC (its links are checked apart)."""
        where = f"record {record.id} (#{record.seq})"
        try:
            e164, ip, agent = self._plaintexts(record)
        except PhonelistError:  # a record that does not open is a finding, not a crash
            return f"{where}: sealed fields do not open"
        prev = record.prev_hash or ""
        if (record.mac_version or 1) < 2:
            if e164 is None or ledger_mac.mac_v1(self.keyring, prev, record, e164, ip, agent) != (
                record.hash
            ):
                return f"{where} was changed after writing"
            return None
        if ledger_mac.mac(self.keyring, prev, record) != record.hash:
            return f"{where} was changed after writing"
        if record.erased_at is None:
            if e164 is None or self._digest(record, e164, ip, agent) != record.pii_digest:
                return f"{where} was changed after writing (its personal evidence)"
        elif e164 is not None or ip is not None or agent is not None or record.evidence_ref:
            return f"{where} is marked erased but still holds personal data"
        return None

    # -- erasure (P2) ---------------------------------------------------------------------------
    def redact(
        self,
        session: Session,
        workspace_id: int,
        records: Iterable[ConsentRecord],
        now: dt.datetime,
    ) -> int:
        """Erase the personal values of ``records`` (number, IP, user agent, free evidence).

        What stays: the number's blind index (so a revocation keeps working), the evidence
        flags the state is folded from, and everything else the record says, all still under
        its MAC. Returns how many records were redacted (already erased ones are skipped).
        """
        self._lock_head(session, workspace_id)  # serialises with appends; upgrades v1 chains
        count = 0
        for row in records:
            if row.workspace_id != workspace_id:
                raise ValueError("a record of another workspace")
            if row.erased_at is not None:
                continue
            row.e164_enc = None
            row.ip_enc = None
            row.user_agent_enc = None
            row.evidence_ref = None
            row.evidence = ledger_mac.evidence_flags(row.evidence)
            row.erased_at = now
            count += 1
        session.flush()
        return count

    def _plaintexts(self, record: ConsentRecord) -> tuple[str | None, str | None, str | None]:
        """The sealed number, IP and user agent, opened; the number is None once erased."""
        open_ = self.keyring.decrypt
        where = {"table": "consent_records", "row_id": record.id}
        e164 = open_(record.e164_enc, column="e164", **where) if record.e164_enc else None
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
            problem = self._check(record)
            if problem is not None:
                problems.append(problem)
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
        start = {pair: value_of(row) for pair, row in current.items() if pair in pairs}
        after = fold([fact_of(record)], start)
        for pair in pairs:
            value = after.get(pair)
            if value is None:
                continue
            row = current.get(pair)
            if row is None:
                session.add(state_row(workspace_id, record.e164_index, pair, value))
            else:
                assign(row, value)
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
            (row.e164_index, row.channel, row.purpose): value_of(row)
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
            state_row(workspace_id, index, (channel, purpose), value)
            for (index, channel, purpose), value in derived.items()
        )
        session.flush()
        return changed

    def state_of(
        self, session: Session, workspace_id: int, e164: str
    ) -> dict[tuple[str, str], StateValue]:
        return self.state_at(session, workspace_id, self.keyring.blind_index("phone", e164))

    def state_at(
        self, session: Session, workspace_id: int, index: bytes
    ) -> dict[tuple[str, str], StateValue]:
        """:meth:`state_of` by the number's blind index."""
        return {
            (row.channel, row.purpose): value_of(row)
            for row in session.scalars(
                select(ConsentState).where(
                    ConsentState.workspace_id == workspace_id, ConsentState.e164_index == index
                )
            )
        }

    def records_of(self, session: Session, workspace_id: int, e164: str) -> Sequence[ConsentRecord]:
        return self.records_at(session, workspace_id, self.keyring.blind_index("phone", e164))

    def records_at(
        self, session: Session, workspace_id: int, index: bytes
    ) -> Sequence[ConsentRecord]:
        """:meth:`records_of` by the number's blind index."""
        return session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.workspace_id == workspace_id, ConsentRecord.e164_index == index)
            # Ledger order on every backend: records not chained yet come last, as in derive().
            .order_by(ConsentRecord.seq.is_(None), ConsentRecord.seq, ConsentRecord.id)
        ).all()
