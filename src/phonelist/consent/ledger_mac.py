"""The MACs that chain consent ledger records, and the digest that lets a record be erased.

Version 1 (records written before erasure existed) covered the plaintext number, IP address,
user agent and free evidence, so a record could not lose them without breaking the chain.

Version 2 covers, instead of those personal values, the number's blind index and a keyed
digest of the personal values (``pii_digest``, stored on the record), plus the evidence flags
the consent state is folded from. While a record holds its personal data, ``verify`` checks the
digest against it, so an edit is still found; after a privacy erasure (COMPLIANCE.md P2) the
personal data is gone, the digest and the MAC stay, and the chain still verifies.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from phonelist.security.crypto import Keyring
from phonelist.store.models import ConsentRecord

__all__ = ["CURRENT_VERSION", "evidence_flags", "mac", "mac_v1", "pii_digest"]

CURRENT_VERSION = 2


def _canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def evidence_flags(evidence: dict[str, Any] | None) -> dict[str, bool]:
    """The evidence entries the consent state depends on: flags set to true, no free text."""
    return {key: True for key, value in (evidence or {}).items() if value is True}


def pii_digest(
    keyring: Keyring,
    *,
    e164: str,
    ip: str | None,
    user_agent: str | None,
    evidence: dict[str, Any] | None,
    evidence_ref: str | None,
) -> str:
    """A keyed digest of the personal values a record holds (what an erasure removes)."""
    content = {
        "e164": e164,
        "ip": ip,
        "user_agent": user_agent,
        "evidence": evidence or {},
        "evidence_ref": evidence_ref,
    }
    return keyring.blind_index("consent-pii", _canonical(content)).hex()


def _common(prev: str, record: ConsentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "workspace_id": record.workspace_id,
        "seq": record.seq,
        "prev": prev,
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
        "actor": record.actor,
        "import_job_id": record.import_job_id,
        "basis": record.basis,
        "written": bool(record.written),
        "scope": record.scope or "one",
        "expires_at": _iso(record.expires_at),
    }


def mac_v1(
    keyring: Keyring,
    prev: str,
    record: ConsentRecord,
    e164: str,
    ip: str | None,
    user_agent: str | None,
) -> str:
    """The first version's MAC, over the plaintext personal values."""
    content = _common(prev, record)
    content.update(
        e164=e164,
        ip=ip,
        user_agent=user_agent,
        evidence_ref=record.evidence_ref,
        evidence=record.evidence or {},
    )
    return keyring.blind_index("consent-ledger", _canonical(content)).hex()


def mac(keyring: Keyring, prev: str, record: ConsentRecord) -> str:
    """The current MAC: the number by its blind index, personal values by their digest."""
    content = _common(prev, record)
    content.update(
        v=CURRENT_VERSION,
        e164_index=record.e164_index.hex(),
        pii=record.pii_digest,
        # An erasure keeps the flags (the consent state is folded from them), so they are
        # covered here directly as well as through the digest.
        evidence_flags=evidence_flags(record.evidence),
    )
    return keyring.blind_index("consent-ledger", _canonical(content)).hex()
