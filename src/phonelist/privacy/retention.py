"""Retention periods per kind of data, and the purge that applies them (COMPLIANCE.md P3).

Each workspace keeps a period in days for each field of :data:`FIELDS` (``0``: never purged);
fields without a stored period use the documented default. :meth:`RetentionService.run` finds
what is past its period and removes it, in this order:

- ``inactive_contacts``: a contact with no activity in the period (its created, updated, last
  contacted, inquiry and purchase times; no message to or from any of its numbers, no consent
  record of them; no open privacy request about it) is erased through the erasure service, which
  keeps any suppression as a keyed hash. Off by default.
- ``notes``: notes older than the period are deleted.
- ``message_bodies``: the sealed body of a message older than the period is wiped; the row stays,
  because frequency caps and the history count sends by time, number and purpose. Inbound
  messages and the opt-in/opt-out messages are consent evidence (C3, O2): they follow
  ``consent_evidence`` instead.
- ``import_rejects``: the rejected rows (their sealed raw cells) of imports that finished more
  than the period ago are deleted; the job and its counts stay.
- ``line_checks``: cached line checks older than the period are deleted (the next check asks
  the provider again).
- ``consent_evidence`` (at least 5 years, the TCPA limitation period plus margin): the ledger
  records of a number with no ledger record and no message in the period, and no consent still
  in force, lose their personal evidence through :meth:`Ledger.redact` (the rows and the hash
  chain stay), and its evidence messages lose their bodies.

Time is passed in. A run writes one audit event, ``retention.purge``, with the counts per field;
a dry run counts the same things and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sqlalchemy import Select, and_, delete, func, select, update
from sqlalchemy.orm import Session

from phonelist.audit import record as audit
from phonelist.clock import utcnow
from phonelist.consent.ledger import Ledger
from phonelist.errors import NotFound, ValidationError
from phonelist.privacy.retention_due import consent_evidence_due, inactive_contacts
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.consent_models import ConsentRequest, Message
from phonelist.store.models import (
    AuditEvent,
    ConsentRecord,
    ImportJob,
    ImportReject,
    LineLookup,
    Note,
)
from phonelist.store.privacy_models import RetentionRule

__all__ = [
    "CONSENT_EVIDENCE_MINIMUM_DAYS",
    "EVIDENCE_KINDS",
    "FIELDS",
    "MAX_DAYS",
    "ContactEraser",
    "FieldRule",
    "PurgeReport",
    "RetentionService",
    "RuleOut",
]

CONSENT_EVIDENCE_MINIMUM_DAYS = 1826  # 5 years (COMPLIANCE.md P3, D1)
MAX_DAYS = 36_500
BATCH = 500
# Outbound kinds that are part of the consent evidence (C3 double opt-in, O5/O6 confirmations).
EVIDENCE_KINDS = ("double_opt_in", "opt_in_confirmation", "opt_out_confirmation")
IN_FLIGHT = ("queued", "sending")  # outbox messages still to be sent keep their text


@dataclass(frozen=True, slots=True)
class FieldRule:
    name: str
    default_days: int
    minimum_days: int
    description: str


FIELDS: dict[str, FieldRule] = {
    rule.name: rule
    for rule in (
        FieldRule(
            "inactive_contacts",
            0,
            1,
            "Contacts with no activity for the period are erased (suppressions kept as a "
            "keyed hash).",
        ),
        FieldRule("notes", 0, 1, "Notes on contacts are deleted."),
        FieldRule(
            "message_bodies",
            730,
            1,
            "Bodies of messages are wiped; the message rows stay for caps and history. "
            "Consent evidence messages follow consent_evidence.",
        ),
        FieldRule(
            "import_rejects", 90, 1, "Rejected rows of finished imports (raw cells) are deleted."
        ),
        FieldRule("line_checks", 365, 1, "Cached line checks (line type, carrier) are deleted."),
        FieldRule(
            "consent_evidence",
            CONSENT_EVIDENCE_MINIMUM_DAYS,
            CONSENT_EVIDENCE_MINIMUM_DAYS,
            "Personal evidence of consent records (number, IP, user agent) of numbers with no "
            "record, no message and no consent in force for the period is redacted; the "
            "records and the chain stay.",
        ),
    )
}


class ContactEraser(Protocol):
    """The erasure service (:mod:`phonelist.privacy.erase`) as the purge uses it."""

    def erase(
        self,
        actor: Actor,
        subject: str,
        *,
        kind: Literal["contact", "number"] | None = ...,
        reason: str = ...,
        request_id: str | None = ...,
        now: dt.datetime | None = ...,
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class RuleOut:
    field: str
    days: int
    default_days: int
    minimum_days: int
    source: str  # "default" | "set"
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(slots=True)
class PurgeReport:
    at: dt.datetime
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    days: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # field -> why it was not applied

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "dry_run": self.dry_run,
            "counts": dict(self.counts),
            "days": dict(self.days),
            "skipped": dict(self.skipped),
        }


Progress = Callable[[str, int], None]


class RetentionService:
    def __init__(self, store: Store, ledger: Ledger, eraser: ContactEraser | None = None) -> None:
        self.store = store
        self.ledger = ledger
        self.eraser = eraser  # without it, inactive contacts are counted but not erased

    # -- settings -------------------------------------------------------------------------------
    def rules(self, actor: Actor) -> list[RuleOut]:
        actor.require(Permission.PRIVACY_MANAGE)
        with self.store.read() as session:
            stored = self._stored(session, actor.workspace_id)
        return [_rule_out(rule, stored.get(name)) for name, rule in FIELDS.items()]

    def set(self, actor: Actor, name: str, days: int, *, now: dt.datetime | None = None) -> RuleOut:
        """Set the period of one field; ``0`` means never purge it."""
        actor.require(Permission.PRIVACY_MANAGE)
        rule = FIELDS.get(name.strip().lower())
        if rule is None:
            raise ValidationError(f"field must be one of: {', '.join(FIELDS)}", field="field")
        if days < 0 or days > MAX_DAYS:
            raise ValidationError(f"days must be between 0 and {MAX_DAYS}", field="days")
        if 0 < days < rule.minimum_days:
            raise ValidationError(
                f"{rule.name} must be kept at least {rule.minimum_days} days (5 years: the "
                "TCPA limitation period plus margin, COMPLIANCE.md P3)",
                field="days",
                code="retention_too_short",
            )
        now = now or utcnow()
        with self.store.write() as session:
            row = session.get(RetentionRule, (actor.workspace_id, rule.name))
            if row is None:
                row = RetentionRule(workspace_id=actor.workspace_id, field=rule.name)
                session.add(row)
            row.days, row.updated_at, row.updated_by = days, now, actor.label
            audit(session, actor, "retention.set", "retention", rule.name, {"days": days})
        return _rule_out(rule, days)

    def last_run(self, actor: Actor) -> dt.datetime | None:
        """When the last (not dry) purge ran, from the audit log."""
        actor.require(Permission.PRIVACY_MANAGE)
        with self.store.read() as session:
            return session.scalar(
                select(func.max(AuditEvent.at)).where(
                    AuditEvent.workspace_id == actor.workspace_id,
                    AuditEvent.action == "retention.purge",
                )
            )

    # -- the purge ------------------------------------------------------------------------------
    def run(
        self,
        actor: Actor,
        *,
        dry_run: bool = False,
        now: dt.datetime | None = None,
        progress: Progress | None = None,
    ) -> PurgeReport:
        """Purge everything past its period (or only count it, with ``dry_run``)."""
        actor.require(Permission.PRIVACY_MANAGE)
        now = now or utcnow()
        workspace = actor.workspace_id
        report = PurgeReport(at=now, dry_run=dry_run)
        with self.store.read() as session:
            stored = self._stored(session, workspace)
        days = {name: stored.get(name, rule.default_days) for name, rule in FIELDS.items()}
        report.days = dict(days)

        def cutoff(name: str) -> dt.datetime | None:
            return now - dt.timedelta(days=days[name]) if days[name] > 0 else None

        steps: list[tuple[str, Callable[[dt.datetime], int]]] = [
            (
                "inactive_contacts",
                lambda c: self._contacts(
                    actor, c, cutoff("consent_evidence"), now, dry_run, report
                ),
            ),
            ("notes", lambda c: self._notes(workspace, c, dry_run)),
            ("message_bodies", lambda c: self._bodies(workspace, c, dry_run)),
            ("import_rejects", lambda c: self._rejects(workspace, c, dry_run)),
            ("line_checks", lambda c: self._line_checks(workspace, c, dry_run)),
            ("consent_evidence", lambda c: self._evidence(workspace, c, now, dry_run, report)),
        ]
        for name, step in steps:
            limit = cutoff(name)
            report.counts[name] = 0 if limit is None else step(limit)
            if progress is not None:
                progress(name, report.counts[name])
        # Set by the consent evidence step; last, so that the fields keep their order.
        report.counts["consent_evidence_messages"] = report.counts.pop(
            "consent_evidence_messages", 0
        )
        if not dry_run:
            with self.store.write() as session:
                audit(
                    session,
                    actor,
                    "retention.purge",
                    "retention",
                    None,
                    {"counts": dict(report.counts), "skipped": sorted(report.skipped)},
                )
        return report

    def _stored(self, session: Session, workspace: int) -> dict[str, int]:
        rows = session.scalars(select(RetentionRule).where(RetentionRule.workspace_id == workspace))
        return {row.field: row.days for row in rows if row.field in FIELDS}

    def _contacts(
        self,
        actor: Actor,
        cutoff: dt.datetime,
        evidence_cutoff: dt.datetime | None,
        now: dt.datetime,
        dry_run: bool,
        report: PurgeReport,
    ) -> int:
        with self.store.read() as session:
            due = inactive_contacts(session, actor.workspace_id, cutoff, evidence_cutoff)
        if dry_run:
            return len(due)
        if self.eraser is None:
            report.skipped["inactive_contacts"] = "the erasure service is not available"
            return 0
        erased = 0
        for contact_id in due:
            try:
                self.eraser.erase(actor, contact_id, kind="contact", reason="retention", now=now)
            except NotFound:  # deleted since it was selected: nothing left to purge
                continue
            erased += 1
        return erased

    def _notes(self, workspace: int, cutoff: dt.datetime, dry_run: bool) -> int:
        where = and_(Note.workspace_id == workspace, Note.created_at < cutoff)
        return self._delete(Note, where, dry_run)

    def _bodies(self, workspace: int, cutoff: dt.datetime, dry_run: bool) -> int:
        where = and_(
            Message.workspace_id == workspace,
            Message.at < cutoff,
            Message.body_enc.is_not(None),
            Message.direction == "out",
            Message.status.not_in(IN_FLIGHT),
            Message.kind.not_in(EVIDENCE_KINDS),
            ~Message.id.in_(_request_message_ids(workspace)),
        )
        return self._wipe_bodies(where, dry_run)

    def _rejects(self, workspace: int, cutoff: dt.datetime, dry_run: bool) -> int:
        jobs = select(ImportJob.id).where(
            ImportJob.workspace_id == workspace,
            ImportJob.finished_at.is_not(None),
            ImportJob.finished_at < cutoff,
        )
        return self._delete(ImportReject, ImportReject.job_id.in_(jobs), dry_run)

    def _line_checks(self, workspace: int, cutoff: dt.datetime, dry_run: bool) -> int:
        where = and_(LineLookup.workspace_id == workspace, LineLookup.checked_at < cutoff)
        return self._delete(LineLookup, where, dry_run)

    def _evidence(
        self,
        workspace: int,
        cutoff: dt.datetime,
        now: dt.datetime,
        dry_run: bool,
        report: PurgeReport,
    ) -> int:
        with self.store.read() as session:
            indexes = consent_evidence_due(session, workspace, cutoff, now)
        redacted = bodies = 0
        for start in range(0, len(indexes), BATCH):
            chunk = indexes[start : start + BATCH]
            records = ConsentRecord.workspace_id == workspace, ConsentRecord.e164_index.in_(chunk)
            messages = and_(
                Message.workspace_id == workspace,
                Message.e164_index.in_(chunk),
                Message.body_enc.is_not(None),
                Message.status.not_in(IN_FLIGHT),
            )
            if dry_run:
                with self.store.read() as session:
                    redacted += _count(session, select(ConsentRecord).where(*records, _unerased()))
                    bodies += _count(session, select(Message).where(messages))
                continue
            with self.store.write() as session:
                rows = session.scalars(select(ConsentRecord).where(*records, _unerased()))
                redacted += self.ledger.redact(session, workspace, list(rows), now)
                bodies += _rowcount(
                    session.execute(
                        update(Message).where(messages).values(body_enc=None),
                        execution_options={"synchronize_session": False},
                    )
                )
        report.counts["consent_evidence_messages"] = bodies
        return redacted

    def _delete(self, model: type[Any], where: Any, dry_run: bool) -> int:
        if dry_run:
            with self.store.read() as session:
                return _count(session, select(model).where(where))
        with self.store.write() as session:
            result = session.execute(
                delete(model).where(where), execution_options={"synchronize_session": False}
            )
            return _rowcount(result)

    def _wipe_bodies(self, where: Any, dry_run: bool) -> int:
        if dry_run:
            with self.store.read() as session:
                return _count(session, select(Message).where(where))
        with self.store.write() as session:
            result = session.execute(
                update(Message).where(where).values(body_enc=None),
                execution_options={"synchronize_session": False},
            )
            return _rowcount(result)


def _unerased() -> Any:
    return ConsentRecord.erased_at.is_(None)


def _request_message_ids(workspace: int) -> Select[Any]:
    return select(ConsentRequest.request_message_id).where(
        ConsentRequest.workspace_id == workspace, ConsentRequest.request_message_id.is_not(None)
    )


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _rule_out(rule: FieldRule, stored: int | None) -> RuleOut:
    return RuleOut(
        field=rule.name,
        days=rule.default_days if stored is None else stored,
        default_days=rule.default_days,
        minimum_days=rule.minimum_days,
        source="default" if stored is None else "set",
        description=rule.description,
    )
