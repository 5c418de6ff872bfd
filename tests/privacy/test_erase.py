"""Erasure (COMPLIANCE.md P2): the person is gone from the store, the suppression stays."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from phonelist import NotFound, PermissionDenied, Phonelist, Settings
from phonelist.backup.format import BackupReader, load_or_create_backup_key
from phonelist.consent.commands import Grant
from phonelist.consent.evidence import verify_ledger
from phonelist.ids import new_id
from phonelist.security.permissions import Actor, Role
from phonelist.security.rotation import SEALED_COLUMNS
from phonelist.store.models import (
    AuditEvent,
    ConsentRecord,
    ImportJob,
    ImportReject,
    Suppression,
)
from tests.privacy.support import (
    AGENT,
    AT,
    FIRST,
    IP,
    NAME,
    NOTE,
    SECOND,
    SECRET,
    STRANGER,
    person,
    stranger,
)

LATER = AT + dt.timedelta(days=30)
# Every form of the person a reader might search for.
FORMS = [
    FIRST,
    FIRST[1:],
    "2025550143",
    "(202) 555-0143",
    "202-555-0143",
    SECOND,
    "2025550144",
    NAME,
    "Ana",
    "ana@example.org",
    SECRET,
    NOTE,
    IP,
    AGENT,
]


def sealed_values(core: Phonelist) -> list[tuple[str, bytes, str]]:
    """Every sealed value in the store, opened: (where, ciphertext, plaintext)."""
    found: list[tuple[str, bytes, str]] = []
    with core.store.read() as session:
        for model, columns, row_id, _order in SEALED_COLUMNS:
            for row in session.scalars(select(model)):
                for attribute, table, column in columns:
                    blob = getattr(row, attribute)
                    if blob is None:
                        continue
                    plain = core.keyring.decrypt(
                        blob, table=table, column=column, row_id=row_id(row)
                    )
                    found.append((f"{table}.{column}", blob, plain))
    return found


def personal(values: list[tuple[str, bytes, str]]) -> list[tuple[str, bytes, str]]:
    return [v for v in values if any(form in v[2] for form in FORMS)]


def with_reject(core: Phonelist, actor: Actor, raw: str) -> None:
    """An import reject whose sealed raw cell holds ``raw`` (a damaged copy of a number)."""
    job_id = new_id()
    with core.store.write() as session:
        session.add(
            ImportJob(
                id=job_id,
                workspace_id=actor.workspace_id,
                actor=actor.label,
                file_name="old.csv",
                file_sha256="0" * 64,
                file_size=1,
                format="csv",
                options={},
                status="done",
                counts={},
                started_at=AT,
                updated_at=AT,
            )
        )
        session.flush()
        session.add(
            ImportReject(
                job_id=job_id,
                row_number=7,
                column="Mobile",
                raw_enc=core.keyring.encrypt(
                    raw, table="import_rejects", column="raw", row_id=f"{job_id}:7"
                ),
                reason="too_long",
                message="too long",
            )
        )


def test_P2_erase_removes_every_sealed_copy_and_keeps_the_suppression(
    core: Phonelist, actor: Actor
) -> None:
    contact_id = person(core, actor)
    stranger(core, actor)
    with_reject(core, actor, "(202) 555-0143 ext")
    before = personal(sealed_values(core))
    assert {where for where, _, _ in before} >= {
        "contacts.display_name",
        "phone_numbers.e164",
        "emails.email",
        "notes.body",
        "custom_values.value",
        "consent_records.e164",
        "consent_records.ip",
        "messages.e164",
        "suppressions.e164",
        "import_rejects.raw",
    }

    report = core.erasure.erase(actor, FIRST, now=LATER)

    assert (report.subject_type, report.subject_id) == ("contact", contact_id)
    assert (report.contacts, report.numbers, report.import_rejects) == (1, 2, 1)
    assert report.consent_records_redacted >= 2 and report.messages >= 2
    assert personal(sealed_values(core)) == []  # no sealed value left opens to the person
    with pytest.raises(NotFound):
        core.contacts.get(actor, contact_id)
    # The stranger (another person) is untouched.
    assert any(STRANGER in plain for _, _, plain in sealed_values(core))

    with core.store.read() as session:
        rows = session.scalars(select(Suppression).order_by(Suppression.created_at)).all()
        kept = [r for r in rows if r.kind == "erased"]
        assert len(kept) == 2 and all(r.lifted_at is None for r in kept)
        assert all(r.e164_enc is None for r in rows)
        records = session.scalars(
            select(ConsentRecord).where(ConsentRecord.erased_at.is_not(None))
        ).all()
        assert records and all(r.e164_enc is None and r.ip_enc is None for r in records)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.erase")
        ).one()
        assert (event.subject_type, event.subject_id) == ("contact", contact_id)
        assert event.detail["contacts"] == 1 and event.detail["reason"] == "request"
        logged = json.dumps(event.detail)
        assert not any(form in logged for form in FORMS)

    # The numbers stay suppressed: nothing may be sent, whatever consent says next.
    for number in (FIRST, SECOND):
        core.consent.apply(actor, Grant(number, "sms", "marketing", "verbal"), now=LATER)
        decision = core.policy.check(actor, number, "sms", "marketing", LATER).decision
        assert not decision.allowed
        assert "erased" in " ".join(str(r) for r in decision.blocking)
    # The ledger still verifies, and the state folded from it is what is stored.
    assert verify_ledger(core.consent, actor).ok
    with core.store.read() as session:
        assert core.consent.ledger.derive(session, actor.workspace_id) == (
            core.consent.ledger.stored(session, actor.workspace_id)
        )


def test_P2_after_erasure_the_export_finds_only_what_honours_the_opt_out(
    core: Phonelist, actor: Actor
) -> None:
    person(core, actor)
    core.erasure.erase(actor, FIRST, now=LATER)
    export = core.privacy.export(actor, FIRST)
    assert export["contacts"] == []
    [number] = export["numbers"]
    assert number["messages"] == [] and number["suppressions"]
    assert all(r["ip"] is None for r in number["consent_records"])
    held = json.dumps(number).replace(FIRST, "")  # the number asked about, echoed back
    assert [form for form in FORMS if form in held and form not in FIRST] == []


def test_P2_erasing_a_number_without_a_contact_and_again(core: Phonelist, actor: Actor) -> None:
    stranger(core, actor)
    report = core.erasure.erase(actor, STRANGER, now=LATER)
    assert (report.subject_type, report.contacts, report.numbers) == ("number", 0, 1)
    assert report.consent_records_redacted == 1
    again = core.erasure.erase(actor, STRANGER, now=LATER)  # harmless: only the suppression
    assert again.consent_records_redacted == 0 and again.suppressions_kept == 1
    with pytest.raises(NotFound):
        core.erasure.erase(actor, "+12025550100")  # nothing held at all


@pytest.mark.parametrize("role", [Role.EDITOR, Role.AGENT, Role.VIEWER])
def test_P2_only_owners_and_admins_erase(core: Phonelist, actor: Actor, role: Role) -> None:
    contact_id = person(core, actor)
    with pytest.raises(PermissionDenied):
        core.erasure.erase(Actor(actor.workspace_id, role, "user", "someone"), FIRST)
    assert core.contacts.get(actor, contact_id).id == contact_id


def _backup_contents(core: Phonelist, tmp_path: Path) -> bytes:
    info = core.backups.create(core.cli_actor(), to=tmp_path / "backups", now=LATER)
    key = load_or_create_backup_key(core.settings.resolved_keys_dir)
    parts: list[bytes] = []
    with info.path.open("rb") as handle:
        for _table, _columns, row in BackupReader(handle, info.path, key).events():
            for value in row:
                parts.append(_as_bytes(value))
    return b"\x00".join(parts)


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).encode()
    return str(value).encode()


def test_P2_no_form_of_the_person_in_the_raw_sqlite_file_nor_in_a_new_backup(
    core: Phonelist, actor: Actor, settings: Settings, backend: str, tmp_path: Path
) -> None:
    person(core, actor)
    with_reject(core, actor, "+1 202 555 0143")
    ciphertexts = [blob for _, blob, _ in personal(sealed_values(core))]
    needles = [form.encode() for form in FORMS] + ciphertexts
    backup_before = _backup_contents(core, tmp_path / "before")
    assert any(n in backup_before for n in needles)  # the scan can fail: it finds them here

    core.erasure.erase(actor, FIRST, now=LATER)

    backup_after = _backup_contents(core, tmp_path / "after")
    assert [n for n in needles if n in backup_after] == []
    if backend == "sqlite":
        files = list(Path(settings.data_dir).glob("phonelist.db*"))
        raw = b"".join(path.read_bytes() for path in files)
        assert len(raw) > 10_000
        assert [n for n in needles if n in raw] == []


def test_P2_a_retention_purge_keeps_what_they_had_and_adds_no_suppression(
    core: Phonelist, actor: Actor
) -> None:
    """person() revoked SECOND and suppressed it; FIRST was granted, then STOP (revoked)."""
    contact_id = person(core, actor)
    report = core.erasure.erase(actor, contact_id, reason="retention", now=LATER)
    assert report.reason == "retention" and report.contacts == 1
    with core.store.read() as session:
        rows = session.scalars(select(Suppression)).all()
    assert [r.kind for r in rows] == ["internal_dnc"] and rows[0].e164_enc is None
    # The opt-outs they gave are still honoured, through the ledger and the suppression.
    for number in (FIRST, SECOND):
        decision = core.policy.check(actor, number, "sms", "marketing", LATER).decision
        assert not decision.allowed
    # A new, later opt-in is possible: someone who went quiet may come back. (What remains is
    # only that a web form is not written consent; after a requested erasure it would be P2.)
    core.consent.apply(actor, Grant(FIRST, "sms", "marketing", "web_form"), now=LATER)
    codes = [
        r.code for r in core.policy.check(actor, FIRST, "sms", "marketing", LATER).decision.blocking
    ]
    assert codes == ["consent_not_written"]
    core.erasure.erase(actor, FIRST, now=LATER)
    codes = [
        r.code for r in core.policy.check(actor, FIRST, "sms", "marketing", LATER).decision.blocking
    ]
    assert "erased" in codes
