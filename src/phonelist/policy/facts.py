"""What the policy engine decides on: the facts of one number, its send history, the answer.

Plain frozen values, so :func:`phonelist.policy.engine.decide` stays a pure function of its
inputs and the bulk path can share one answer between contacts whose facts reduce alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "CHANNELS",
    "PURPOSES",
    "Channel",
    "Consent",
    "Decision",
    "Facts",
    "Purpose",
    "Reason",
    "Send",
]


class Channel(StrEnum):
    SMS = "sms"
    VOICE = "voice"


class Purpose(StrEnum):
    MARKETING = "marketing"
    INFORMATIONAL = "informational"
    EMERGENCY = "emergency"


CHANNELS = tuple(c.value for c in Channel)
PURPOSES = tuple(p.value for p in Purpose)

# Consent methods that are not express consent: valid only where their rule says so.
SOFT_OPT_IN = "soft_opt_in"  # C7, EU/UK
CASL_IMPLIED = frozenset({"casl_implied_purchase", "casl_implied_inquiry"})  # C8, Canada


@dataclass(frozen=True, slots=True)
class Consent:
    """The current state of one (channel, purpose) permission of a number, from the ledger."""

    channel: str
    purpose: str
    status: str  # granted | revoked | pending (double opt-in awaiting its reply)
    method: str
    since: dt.datetime  # when the record that set this status occurred
    written: bool = False  # the disclosure shown meets C1 (prior express written consent)
    sender: str | None = None  # None: every sender of the workspace
    expires_at: dt.datetime | None = None  # C7/C8 implied consent ends
    evidence: frozenset[str] = frozenset()  # proven facts, e.g. C7's obtained_in_sale


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything known about one number that a decision may depend on."""

    region: str | None  # ISO 3166 region of the number
    area_code: str | None = None  # NANP area code, for state rules and the US registry
    number_time_zones: tuple[str, ...] = ()
    contact_time_zone: str | None = None  # stored on the contact (H1: preferred)
    state: str | None = None  # US state from the stored address (H3: preferred)
    consents: tuple[Consent, ...] = ()
    suppressions: frozenset[str] = frozenset()  # active kinds: internal_dnc, provider_opt_out, ...
    dnc_registered: bool = False  # on the US national registry (D2)
    registry_date: dt.date | None = None  # newest registry data for the area code (D3)
    national_optout_listed: bool = False  # Portugal's opt-out list (D5)
    legal_person: bool = False  # D5: a company's number
    last_purchase_at: dt.datetime | None = None  # established business relationship (D2)
    last_inquiry_at: dt.datetime | None = None
    disconnected_on: dt.date | None = None  # reassigned-number "yes" (D4)
    emergency_override: bool = False  # the campaign overrides the internal list (audited)


@dataclass(frozen=True, slots=True)
class Send:
    """One message or call already made to the number."""

    at: dt.datetime
    channel: str
    purpose: str
    sender: str | None = None
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding of a decision: the rule, a stable code, and a sentence for people."""

    rule: str
    code: str
    message: str
    blocks: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to "may we contact this number on this channel, for this purpose, now?"."""

    allowed: bool
    reasons: tuple[Reason, ...]
    rules_version: str
    next_allowed_at: dt.datetime | None = None
    time_zone_source: str = "none"  # contact | number | none (H1)
    time_zones: tuple[str, ...] = field(default=())

    @property
    def blocking(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.blocks)

    def as_dict(self) -> dict[str, object]:
        return {
            "allowed": self.allowed,
            "reasons": [
                {"rule": r.rule, "code": r.code, "message": r.message, "blocks": r.blocks}
                for r in self.reasons
            ],
            "rules_version": self.rules_version,
            "next_allowed_at": self.next_allowed_at.isoformat() if self.next_allowed_at else None,
            "time_zone_source": self.time_zone_source,
            "time_zones": list(self.time_zones),
        }
