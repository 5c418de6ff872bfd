"""The do-not-contact list (D1) and the signals that feed it (O7, D4, P2).

Suppressions are keyed on the number's blind index, never hard-deleted (lifting one stamps
``lifted_at``), and say why, where from and when. An opt-out signal from a provider is also a
revocation in the consent ledger (O7), written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from phonelist.audit import record as audit
from phonelist.clock import utcnow
from phonelist.config import Settings
from phonelist.consent.commands import Revoke
from phonelist.consent.service import ConsentService
from phonelist.dispatch.outbox import cancel_for_opt_out
from phonelist.errors import NotFound, ValidationError
from phonelist.ids import new_id
from phonelist.numbers import normalize
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.models import PhoneNumber, Suppression

__all__ = ["KINDS", "PROVIDER_OPT_OUT_CODES", "SuppressionOut", "SuppressionService"]

KINDS = ("internal_dnc", "provider_opt_out", "carrier_deactivated", "reassigned", "erased")
# Provider errors that mean "the recipient opted out" (O7). Twilio 21610: unsubscribed recipient.
PROVIDER_OPT_OUT_CODES = frozenset({"21610"})
MAX_FILE_LINE = 200


@dataclass(frozen=True, slots=True)
class SuppressionOut:
    id: str
    e164: str | None  # None once the person is erased: only the keyed hash remains (P2)
    kind: str
    source: str | None
    reason: str | None
    created_at: dt.datetime
    created_by: str
    lifted_at: dt.datetime | None
    lifted_by: str | None
    lift_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class SuppressionService:
    def __init__(
        self, store: Store, keyring: Keyring, settings: Settings, consent: ConsentService
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.settings = settings
        self.consent = consent

    def add(
        self,
        actor: Actor,
        number: str,
        *,
        kind: str = "internal_dnc",
        source: str | None = None,
        reason: str | None = None,
        at: dt.datetime | None = None,
    ) -> SuppressionOut:
        """Put a number on the list; adding one already active returns the existing entry."""
        actor.require(Permission.SUPPRESSIONS_ADD)
        with self.store.write() as session:
            row = self.add_in(
                session, actor, self._e164(number), kind=kind, source=source, reason=reason, at=at
            )
            return self._out(row)

    def add_in(
        self,
        session: Session,
        actor: Actor,
        e164: str,
        *,
        kind: str,
        source: str | None,
        reason: str | None,
        at: dt.datetime | None = None,
    ) -> Suppression:
        if kind not in KINDS:
            raise ValidationError(f"kind must be one of {', '.join(KINDS)}", field="kind")
        if source is not None and len(source) > 100:
            raise ValidationError("source is longer than 100 characters", field="source")
        if reason is not None and len(reason) > 300:
            raise ValidationError("reason is longer than 300 characters", field="reason")
        index = self.keyring.blind_index("phone", e164)
        existing = session.scalars(
            select(Suppression).where(
                Suppression.workspace_id == actor.workspace_id,
                Suppression.e164_index == index,
                Suppression.kind == kind,
                Suppression.lifted_at.is_(None),
            )
        ).first()
        if existing is not None:
            return existing
        sid = new_id()
        row = Suppression(
            id=sid,
            workspace_id=actor.workspace_id,
            e164_index=index,
            e164_enc=self.keyring.encrypt(e164, table="suppressions", column="e164", row_id=sid),
            kind=kind,
            source=source,
            reason=reason,
            created_at=at or utcnow(),
            created_by=actor.label,
        )
        session.add(row)
        session.flush()
        cancel_for_opt_out(session, actor.workspace_id, index)  # queued sends: docs/dispatch.md
        audit(session, actor, "suppression.add", "suppression", sid, {"kind": kind})
        return row

    def lift(self, actor: Actor, suppression_id: str, reason: str) -> SuppressionOut:
        """End a suppression (the person asked to hear from us again); the entry stays."""
        actor.require(Permission.SUPPRESSIONS_LIFT)
        if not reason.strip():
            raise ValidationError("say why the suppression is lifted", field="reason")
        with self.store.write() as session:
            row = session.get(Suppression, suppression_id)
            if row is None or row.workspace_id != actor.workspace_id:
                raise NotFound(f"no suppression {suppression_id}")
            if row.kind == "erased":
                raise ValidationError("an erasure cannot be lifted", code="not_liftable")
            if row.lifted_at is None:
                row.lifted_at, row.lifted_by = utcnow(), actor.label
                row.lift_reason = reason.strip()[:300]
                audit(
                    session,
                    actor,
                    "suppression.lift",
                    "suppression",
                    row.id,
                    {"kind": row.kind, "reason_length": len(reason)},
                )
            return self._out(row)

    def entries(
        self,
        actor: Actor,
        *,
        kind: str | None = None,
        include_lifted: bool = False,
        limit: int = 100,
    ) -> list[SuppressionOut]:
        actor.require(Permission.CONSENT_READ)
        query = select(Suppression).where(Suppression.workspace_id == actor.workspace_id)
        if kind:
            query = query.where(Suppression.kind == kind)
        if not include_lifted:
            query = query.where(Suppression.lifted_at.is_(None))
        with self.store.read() as session:
            rows = session.scalars(query.order_by(Suppression.id.desc()).limit(limit)).all()
            return [self._out(r) for r in rows]

    def show(self, actor: Actor, number: str) -> list[SuppressionOut]:
        """Every suppression of a number, lifted ones included: its history."""
        actor.require(Permission.CONSENT_READ)
        return self._history(actor, self.keyring.blind_index("phone", self._e164(number)))

    def of_phone(self, actor: Actor, phone_id: str) -> list[SuppressionOut]:
        """:meth:`show` for a stored number named by its row id; no number in the answer for
        roles that see numbers masked (agents)."""
        actor.require(Permission.CONSENT_READ)
        actor.require(Permission.CONTACTS_READ)
        with self.store.read() as session:
            index = session.scalar(
                select(PhoneNumber.e164_index).where(
                    PhoneNumber.workspace_id == actor.workspace_id, PhoneNumber.id == phone_id
                )
            )
        if index is None:
            raise NotFound(f"no number with id {phone_id!r}", field="phone")
        entries = self._history(actor, index)
        if actor.can(Permission.CONTACTS_NUMBERS):
            return entries
        return [replace(entry, e164=None) for entry in entries]

    def _history(self, actor: Actor, index: bytes) -> list[SuppressionOut]:
        with self.store.read() as session:
            rows = session.scalars(
                select(Suppression)
                .where(
                    Suppression.workspace_id == actor.workspace_id, Suppression.e164_index == index
                )
                .order_by(Suppression.id)
            ).all()
            return [self._out(r) for r in rows]

    def provider_signal(
        self, actor: Actor, number: str, code: str, at: dt.datetime | None = None
    ) -> SuppressionOut | None:
        """O7: a provider error meaning "recipient opted out" suppresses and revokes."""
        actor.require(Permission.INBOUND_PROCESS)
        code = code.strip()  # a padded "21610 " is still an opt-out: missing one is costly
        if code not in PROVIDER_OPT_OUT_CODES:
            return None
        e164 = self._e164(number)
        now = at or utcnow()
        with self.store.write() as session:
            row = self.add_in(
                session,
                actor,
                e164,
                kind="provider_opt_out",
                source=f"provider error {code}",
                reason="the provider reports the recipient opted out",
                at=now,
            )
            self.consent.apply_in(
                session,
                actor,
                Revoke(e164, method="provider", affirmative_action=f"provider error {code}"),
                now,
            )
            return self._out(row)

    def import_deactivations(self, actor: Actor, path: Path, *, source: str | None = None) -> int:
        """O7: a carrier deactivation file (one number per line, optional ``,date``)."""
        actor.require(Permission.REGISTRY_IMPORT)
        entries = list(_read_deactivations(path, self.settings.default_region))
        with self.store.write() as session:
            for e164, day in entries:
                at = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) if day else None
                self.add_in(
                    session,
                    actor,
                    e164,
                    kind="carrier_deactivated",
                    source=source or path.name[:100],
                    reason="carrier deactivation file",
                    at=at,
                )
            audit(
                session,
                actor,
                "suppression.import_deactivations",
                "suppression",
                None,
                {"rows": len(entries)},
            )
        return len(entries)

    def _e164(self, number: str) -> str:
        return normalize(number, self.settings.default_region).e164

    def _out(self, row: Suppression) -> SuppressionOut:
        e164 = (
            self.keyring.decrypt(row.e164_enc, table="suppressions", column="e164", row_id=row.id)
            if row.e164_enc
            else None
        )
        return SuppressionOut(
            id=row.id,
            e164=e164,
            kind=row.kind,
            source=row.source,
            reason=row.reason,
            created_at=row.created_at,
            created_by=row.created_by,
            lifted_at=row.lifted_at,
            lifted_by=row.lifted_by,
            lift_reason=row.lift_reason,
        )


def _read_deactivations(path: Path, default_region: str) -> Iterable[tuple[str, dt.date | None]]:
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise ValidationError(f"cannot read {path.name}: {exc.strerror}", field="file") from exc
    with handle:
        for line_number, line in enumerate(handle, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if len(text) > MAX_FILE_LINE:
                raise ValidationError(
                    f"{path.name} line {line_number}: line too long", field="file"
                )
            number, _, day = text.partition(",")
            try:
                e164 = normalize(number, default_region).e164
                when = dt.date.fromisoformat(day.strip()) if day.strip() else None
            except (ValidationError, ValueError) as exc:
                message = exc.message if isinstance(exc, ValidationError) else str(exc)
                raise ValidationError(
                    f"{path.name} line {line_number}: {message}", field="file"
                ) from exc
            yield e164, when
