"""A ledger chained before erasure existed (MAC version 1) is re-chained once, if it verifies."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from phonelist import Conflict, Phonelist
from phonelist.consent import ledger_mac
from phonelist.consent.commands import Grant, Revoke
from phonelist.consent.evidence import verify_ledger
from phonelist.security.permissions import Actor
from phonelist.store.consent_models import LedgerHead
from phonelist.store.models import AuditEvent, ConsentRecord

AT = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def as_version_1(core: Phonelist, actor: Actor) -> None:
    """Rewrite the workspace's chain the way version 1 wrote it."""
    with core.store.write() as session:
        prev = "0" * 32
        for row in session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq)):
            e164, ip, agent = core.consent.ledger._plaintexts(row)
            assert e164 is not None
            row.prev_hash = prev
            row.mac_version, row.pii_digest = None, None
            row.hash = prev = ledger_mac.mac_v1(core.keyring, prev, row, e164, ip, agent)
        head = session.get(LedgerHead, actor.workspace_id)
        assert head is not None
        head.hash, head.mac_version = prev, 1


def history(core: Phonelist, actor: Actor) -> None:
    core.consent.apply(
        actor, Grant("+12025550143", "sms", "marketing", "web_form", ip="203.0.113.9"), now=AT
    )
    core.consent.apply(actor, Revoke("+12025550143", "agent"), now=AT + dt.timedelta(hours=1))
    core.consent.apply(actor, Grant("+12025550144", "sms", "informational", "verbal"), now=AT)


def test_a_version_1_chain_verifies_and_is_rechained_on_the_next_write(
    core: Phonelist, actor: Actor
) -> None:
    history(core, actor)
    as_version_1(core, actor)
    assert verify_ledger(core.consent, actor).ok  # version 1 still verifies as it was

    core.consent.apply(actor, Grant("+12025550145", "sms", "marketing", "verbal"), now=AT)

    assert verify_ledger(core.consent, actor).ok
    with core.store.read() as session:
        rows = session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq)).all()
        assert [r.mac_version for r in rows] == [2, 2, 2, 2]
        assert all(r.pii_digest for r in rows)
        head = session.get(LedgerHead, actor.workspace_id)
        assert head is not None and head.mac_version == 2 and head.hash == rows[-1].hash
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "consent.ledger_upgrade")
        ).all()
        assert event.detail["records"] == 3 and event.detail["new_head"] != event.detail["old_head"]
    # Erasable now: a redacted record still verifies.
    core.erasure.erase(actor, "+12025550143")
    assert verify_ledger(core.consent, actor).ok


def test_a_tampered_version_1_chain_is_not_laundered(core: Phonelist, actor: Actor) -> None:
    history(core, actor)
    as_version_1(core, actor)
    with core.store.write() as session:
        first = session.scalars(select(ConsentRecord).where(ConsentRecord.seq == 1)).one()
        first.method = "verbal"  # an edit after writing
    with pytest.raises(Conflict, match="does not verify"):
        core.consent.apply(actor, Grant("+12025550145", "sms", "marketing", "verbal"), now=AT)
    with core.store.read() as session:
        assert session.scalar(select(ConsentRecord.mac_version).where(ConsentRecord.seq == 1)) is (
            None
        )
    assert not verify_ledger(core.consent, actor).ok


@pytest.mark.parametrize("field", ["evidence_ref", "ip_enc", "pii_digest", "erased_at"])
def test_erased_records_still_catch_tampering(core: Phonelist, actor: Actor, field: str) -> None:
    history(core, actor)
    core.erasure.erase(actor, "+12025550143")
    with core.store.write() as session:
        row = session.scalars(select(ConsentRecord).where(ConsentRecord.seq == 1)).one()
        if field == "evidence_ref":
            row.evidence_ref = "slipped back in"
        elif field == "ip_enc":
            row.ip_enc = core.keyring.encrypt(
                "198.51.100.1", table="consent_records", column="ip", row_id=row.id
            )
        elif field == "pii_digest":
            row.pii_digest = "0" * 32
        else:
            row.erased_at = None  # pretending the record was never erased
    report = verify_ledger(core.consent, actor)
    assert not report.ok and "#1" in report.problems[0]
