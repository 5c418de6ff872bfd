"""What the consent ledger proves about one number: its state, its records, and the proof pack.

:func:`build_evidence` gathers, in one read transaction, everything a person needs to show that
a number consented (or opted out): every ledger record with all its C2 fields (sealed IP and
user agent opened), the chain links, the disclosure versions the records point at, the
suppression history, the current state (and whether it agrees with the records) and a
verification of the workspace's whole chain. :func:`render_evidence` writes the same pack as
Markdown for people. Building a pack opens personal data, so it is audited.

:func:`current_state`, :func:`verify_ledger` and :func:`rebuild_state` are the permission-checked
faces of the ledger's read, verify and rebuild operations.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from phonelist.audit import record as audit
from phonelist.consent.classify import KeywordPack
from phonelist.consent.ledger import CONSENT_PAIRS, StateValue, VerifyReport, fact_of, fold
from phonelist.consent.service import ConsentService
from phonelist.errors import PhonelistError
from phonelist.security.permissions import Actor, Permission
from phonelist.store.consent_models import Disclosure
from phonelist.store.models import ConsentRecord, Suppression

__all__ = [
    "EVIDENCE_FORMAT",
    "build_evidence",
    "current_state",
    "disclosure_dict",
    "rebuild_state",
    "record_dict",
    "render_evidence",
    "state_dict",
    "suppression_dict",
    "verify_ledger",
]

EVIDENCE_FORMAT = "phonelist-consent-evidence/1"
WITHHELD = "(withheld: needs consent.manage)"
UNREADABLE = "(sealed value does not open)"


def current_state(
    consent: ConsentService, actor: Actor, number: str
) -> dict[tuple[str, str], StateValue]:
    """The stored consent state of ``number`` per (channel, purpose); absent pairs are unknown."""
    actor.require(Permission.CONSENT_READ)
    e164 = consent.e164(number)
    with consent.store.read() as session:
        return consent.ledger.state_of(session, actor.workspace_id, e164)


def verify_ledger(consent: ConsentService, actor: Actor) -> VerifyReport:
    """Walk the workspace's chain of consent records; every edit, deletion or reorder is listed."""
    actor.require(Permission.CONSENT_MANAGE)
    with consent.store.read() as session:
        return consent.ledger.verify(session, actor.workspace_id)


def rebuild_state(consent: ConsentService, actor: Actor) -> int:
    """Recompute the derived consent state from the records; returns how many rows differed."""
    actor.require(Permission.CONSENT_MANAGE)
    with consent.store.write() as session:
        changed = consent.ledger.rebuild(session, actor.workspace_id)
        audit(session, actor, "consent.rebuild", "consent_state", None, {"changed": changed})
    return changed


def state_dict(
    state: Mapping[tuple[str, str], StateValue],
) -> list[dict[str, Any]]:
    """Every consent pair, in a fixed order; pairs with no record are ``unknown`` (C5)."""
    rows = []
    for channel, purpose in CONSENT_PAIRS:
        value = state.get((channel, purpose))
        rows.append(
            {
                "channel": channel,
                "purpose": purpose,
                "status": value.status if value else "unknown",
                "method": value.method if value else None,
                "written": value.written if value else False,
                "sender": value.sender if value else None,
                "since": _iso(value.since) if value else None,
                "expires_at": _iso(value.expires_at) if value else None,
                "evidence": list(value.evidence) if value else [],
                "record_id": value.record_id if value else None,
            }
        )
    return rows


def record_dict(
    record: ConsentRecord, *, ip: str | None = None, user_agent: str | None = None
) -> dict[str, Any]:
    """One ledger record with every C2 field and its chain links, as JSON-ready values.

    The sealed IP and user agent are only what the caller opened and passed in.
    """
    text = record.disclosure_text
    return {
        "id": record.id,
        "seq": record.seq,
        "action": record.action,
        "channel": record.channel,
        "purpose": record.purpose,
        "scope": record.scope or "one",
        "sender": record.sender,
        "method": record.method,
        "occurred_at": _iso(record.occurred_at),
        "recorded_at": _iso(record.recorded_at),
        "actor": record.actor,
        "affirmative_action": record.affirmative_action,
        "written": bool(record.written),
        "disclosure_id": record.disclosure_id,
        "disclosure_version": record.disclosure_version,
        "disclosure_hash": record.disclosure_hash,
        "disclosure_text": text,
        "disclosure_text_matches_hash": (
            hashlib.sha256(text.encode()).hexdigest() == record.disclosure_hash
            if text is not None
            else None
        ),
        "language": record.language,
        "source_url": record.source_url,
        "form_id": record.form_id,
        "ip": ip,
        "user_agent": user_agent,
        "evidence_ref": record.evidence_ref,
        "evidence": dict(record.evidence or {}),
        "expires_at": _iso(record.expires_at),
        "import_job_id": record.import_job_id,
        "basis": record.basis,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


def build_evidence(
    consent: ConsentService,
    actor: Actor,
    number: str,
    now: dt.datetime,
    *,
    keywords: KeywordPack | None = None,
) -> dict[str, Any]:
    """The proof pack of one number, read in one transaction so that its parts agree."""
    actor.require(Permission.CONSENT_READ)
    e164 = consent.e164(number)
    ledger = consent.ledger
    workspace = actor.workspace_id
    # The consenting person's IP address and browser are personal data of their own: they are
    # opened only for roles that manage consent (owner, admin), withheld for the others.
    opens = actor.can(Permission.CONSENT_MANAGE)
    with consent.store.read() as session:
        records = ledger.records_of(session, workspace, e164)
        items = []
        for record in records:
            try:
                _, ip, agent = ledger._plaintexts(record)
            except PhonelistError:  # a damaged record is still shown; verify names it
                ip = agent = UNREADABLE
            if not opens:
                ip = WITHHELD if record.ip_enc else None
                agent = WITHHELD if record.user_agent_enc else None
            items.append(record_dict(record, ip=ip, user_agent=agent))
        stored = ledger.state_of(session, workspace, e164)
        folded = fold(fact_of(record) for record in records)
        disclosure_ids = sorted({r.disclosure_id for r in records if r.disclosure_id})
        disclosures = (
            session.scalars(
                select(Disclosure)
                .where(Disclosure.workspace_id == workspace, Disclosure.id.in_(disclosure_ids))
                .order_by(Disclosure.name, Disclosure.version)
            ).all()
            if disclosure_ids
            else []
        )
        suppressions = session.scalars(
            select(Suppression)
            .where(
                Suppression.workspace_id == workspace,
                Suppression.e164_index == consent.keyring.blind_index("phone", e164),
            )
            .order_by(Suppression.created_at, Suppression.id)
        ).all()
        report = ledger.verify(session, workspace)
    pack: dict[str, Any] = {
        "format": EVIDENCE_FORMAT,
        "number": e164,
        "generated_at": _iso(now),
        "generated_by": actor.label,
        "rules_version": consent.rules.version,
        "keywords_version": keywords.version if keywords is not None else None,
        "state": state_dict(stored),
        "state_matches_records": stored == folded,
        "records": items,
        "disclosures": [disclosure_dict(d) for d in disclosures],
        "suppressions": [suppression_dict(s) for s in suppressions],
        "ledger": {"ok": report.ok, "records": report.records, "problems": list(report.problems)},
    }
    with consent.store.write() as session:
        audit(
            session,
            actor,
            "consent.evidence",
            "consent_record",
            None,
            {"records": len(items), "record_ids": [item["id"] for item in items][:100]},
        )
    return pack


def render_evidence(pack: Mapping[str, Any]) -> str:
    """The pack as Markdown: the same facts as the JSON, in an order a person reads."""
    ledger = pack["ledger"]
    lines = [
        f"# Consent evidence for {pack['number']}",
        "",
        f"- Generated: {pack['generated_at']} by {pack['generated_by']}",
        f"- Rule packs: {pack['rules_version']}",
        f"- Keywords: {pack['keywords_version'] or '-'}",
        f"- Ledger chain: {'verified' if ledger['ok'] else 'BROKEN'} "
        f"({ledger['records']} records in the workspace)",
        f"- Stored state agrees with the records: {_yes(pack['state_matches_records'])}",
        "",
    ]
    for problem in ledger["problems"]:
        lines.append(f"  - problem: {problem}")
    if ledger["problems"]:
        lines.append("")
    lines += [
        "## Current state",
        "",
        "| channel | purpose | status | method | written | sender | since | expires |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in pack["state"]:
        cells = [
            row["channel"],
            row["purpose"],
            row["status"],
            row["method"] or "",
            _yes(row["written"]) if row["method"] else "",
            row["sender"] or "",
            row["since"] or "",
            row["expires_at"] or "",
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", f"## Ledger records ({len(pack['records'])})", ""]
    if not pack["records"]:
        lines += ["No consent records for this number.", ""]
    for item in pack["records"]:
        lines += _record_lines(item)
    lines += ["## Disclosures shown", ""]
    if not pack["disclosures"]:
        lines += ["No disclosure is referenced by these records.", ""]
    for disclosure in pack["disclosures"]:
        lines += [
            f"### {disclosure['name']} version {disclosure['version']}",
            "",
            f"- id: {disclosure['id']}",
            f"- sha256: {disclosure['sha256']}",
            f"- language: {disclosure['language'] or '-'}",
            f"- states automated marketing: {_yes(disclosure['automated_marketing'])}",
            f"- states not a condition of purchase: "
            f"{_yes(disclosure['not_condition_of_purchase'])}",
            f"- registered: {disclosure['created_at']} by {disclosure['created_by']}",
            "",
            *_quoted(disclosure["text"]),
            "",
        ]
    lines += ["## Suppressions", ""]
    if not pack["suppressions"]:
        lines += ["None.", ""]
    else:
        lines += [
            "| id | kind | source | reason | added | lifted |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for item in pack["suppressions"]:
            lifted = f"{item['lifted_at']} by {item['lifted_by']}" if item["lifted_at"] else ""
            cells = [
                item["id"],
                item["kind"],
                item["source"] or "",
                item["reason"] or "",
                f"{item['created_at']} by {item['created_by']}",
                lifted,
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _record_lines(item: Mapping[str, Any]) -> list[str]:
    title = f"### #{item['seq']} {item['action']}"
    if item["scope"] == "all":
        title += " (every channel and purpose)"
    else:
        title += f" {item['channel']} {item['purpose']}"
    fields = [
        ("id", item["id"]),
        ("method", item["method"]),
        ("occurred at", item["occurred_at"]),
        ("recorded at", item["recorded_at"]),
        ("recorded by", item["actor"]),
        ("sender", item["sender"]),
        ("affirmative action", item["affirmative_action"]),
        ("written consent (C1)", _yes(item["written"]) if item["action"] == "grant" else None),
        ("disclosure", item["disclosure_version"]),
        ("disclosure sha256", item["disclosure_hash"]),
        (
            "disclosure text matches its hash",
            _yes(item["disclosure_text_matches_hash"])
            if item["disclosure_text_matches_hash"] is not None
            else None,
        ),
        ("language", item["language"]),
        ("source URL", item["source_url"]),
        ("form id", item["form_id"]),
        ("IP address", item["ip"]),
        ("user agent", item["user_agent"]),
        ("evidence reference", item["evidence_ref"]),
        ("expires at", item["expires_at"]),
        ("import job", item["import_job_id"]),
        ("import basis", item["basis"]),
        ("previous hash", item["prev_hash"]),
        ("hash", item["hash"]),
    ]
    lines = [title, ""]
    lines += [f"- {label}: {_cell(str(value))}" for label, value in fields if value is not None]
    for key, value in sorted(item["evidence"].items()):
        lines.append(f"- evidence {_cell(str(key))}: {_cell(str(value))}")
    lines.append("")
    return lines


def disclosure_dict(row: Disclosure) -> dict[str, Any]:
    """One registered disclosure version, with whether its text still matches its hash."""
    return {
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "sha256": row.sha256,
        "text_matches_hash": hashlib.sha256(row.text.encode()).hexdigest() == row.sha256,
        "language": row.language,
        "automated_marketing": row.automated_marketing,
        "not_condition_of_purchase": row.not_condition_of_purchase,
        "created_at": _iso(row.created_at),
        "created_by": row.created_by,
        "text": row.text,
    }


def suppression_dict(row: Suppression) -> dict[str, Any]:
    """One suppression entry of a number's history, lifted or not."""
    return {
        "id": row.id,
        "kind": row.kind,
        "source": row.source,
        "reason": row.reason,
        "created_at": _iso(row.created_at),
        "created_by": row.created_by,
        "lifted_at": _iso(row.lifted_at),
        "lifted_by": row.lifted_by,
        "active": row.lifted_at is None,
    }


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _yes(value: object) -> str:
    return "yes" if value else "no"


def _cell(text: str) -> str:
    """One Markdown line: no line breaks, pipes escaped (texts come from forms and people)."""
    return " ".join(text.split()).replace("|", "\\|")


def _quoted(text: str) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in text.splitlines()]
