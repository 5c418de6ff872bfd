"""The consent state of a number: a fold of its ledger records, in ledger order.

Pure: no store, no clock. :mod:`phonelist.consent.ledger` keeps the folded state in
``consent_states`` and rebuilds it from the records with these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from phonelist.policy.facts import CASL_IMPLIED, SOFT_OPT_IN, Consent
from phonelist.store.consent_models import ConsentState
from phonelist.store.models import ConsentRecord

__all__ = [
    "CONSENT_PAIRS",
    "IMPLICIT_METHODS",
    "Fact",
    "StateValue",
    "assign",
    "fact_of",
    "fold",
    "state_row",
    "value_of",
]

CONSENT_PAIRS = tuple(
    (channel, purpose) for channel in ("sms", "voice") for purpose in ("marketing", "informational")
)
IMPLICIT_METHODS = frozenset({SOFT_OPT_IN, *CASL_IMPLIED})


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


def value_of(row: ConsentState) -> StateValue:
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


def state_row(
    workspace_id: int, index: bytes, pair: tuple[str, str], value: StateValue
) -> ConsentState:
    row = ConsentState(
        workspace_id=workspace_id, e164_index=index, channel=pair[0], purpose=pair[1]
    )
    assign(row, value)
    return row


def assign(row: ConsentState, value: StateValue) -> None:
    row.status = value.status
    row.method = value.method
    row.written = value.written
    row.sender = value.sender
    row.since = value.since
    row.expires_at = value.expires_at
    row.evidence = list(value.evidence)
    row.record_id = value.record_id
