"""Pure parts of a campaign's plan: which exclusion a decision means, when a local schedule fires,
what a message costs, and the tally a preview shows.

The policy engine's reasons (``phonelist.policy.engine``) map onto the preview's categories;
a contact is counted once, under the first category of :data:`EXCLUSIONS` that applies.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from phonelist.campaigns.schemas import DEFERRABLE, EXCLUSIONS
from phonelist.policy.facts import Decision
from phonelist.policy.hours import local_instant, zone

__all__ = [
    "Tally",
    "category_of",
    "decision_category",
    "price_of",
    "recipient_instant",
    "wall_time",
]

_REGISTRY = frozenset({"dnc_registered", "registry_stale", "national_optout"})
_HOURS = frozenset({"outside_hours", "holiday"})
_SUPPRESSION_RULES = frozenset({"D1", "O7", "D4", "P2"})  # engine.SUPPRESSION_BLOCKS
_ORDER = {name: i for i, name in enumerate(EXCLUSIONS)}
LANDLINE_TYPES = frozenset({"fixed_line"})


def category_of(rule: str, code: str) -> str:
    """The preview category of one blocking reason of the policy engine."""
    if code.startswith("consent_"):
        return "no_consent"
    if code in _REGISTRY:
        return "registry"
    if code == "no_time_zone":
        return "no_time_zone"
    if code in _HOURS:
        return "quiet_hours"
    if code == "frequency_cap":
        return "frequency_cap"
    if rule in _SUPPRESSION_RULES:
        return "suppressed"
    return "other"


def decision_category(decision: Decision) -> str | None:
    """None when the decision allows the send; else the first category that blocks it."""
    if decision.allowed:
        return None
    found = [category_of(r.rule, r.code) for r in decision.blocking] or ["other"]
    return min(found, key=_ORDER.__getitem__)


def number_category(
    channel: str, validity: str | None, number_type: str | None, line_type: str | None
) -> str | None:
    """Exclusions the stored number alone decides: invalid, or a landline for SMS."""
    if validity == "invalid":
        return "invalid_number"
    if channel == "sms" and (line_type or number_type) in LANDLINE_TYPES:
        return "landline"
    return None


def wall_time(text: str) -> dt.time:
    """``HH:MM`` (24 h) as a time; raises ValueError otherwise."""
    hours, sep, minutes = text.partition(":")
    if not sep or len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError("the local time must be HH:MM, e.g. 08:05")
    return dt.time(int(hours), int(minutes))


def recipient_instant(
    day: dt.date, wall: dt.time, contact_zone: str | None, number_zones: Iterable[str]
) -> dt.datetime | None:
    """When ``wall`` on ``day`` comes for a recipient (H1, H5), DST-correct.

    The contact's stored zone wins; else the number's zones, and when there are several the
    latest of their instants, so that no recipient gets it before ``wall`` in any of them.
    None when no zone is known.
    """
    if contact_zone and zone(contact_zone) is not None:
        return local_instant(day, wall, contact_zone)
    instants = [local_instant(day, wall, key) for key in number_zones if zone(key) is not None]
    return max(instants) if instants else None


def price_of(prices: Mapping[str, float], region: str | None, segments: int) -> float:
    """Segments times the price of one segment to ``region`` (else the default price)."""
    each = prices.get(region or "", prices.get("default", 0.0))
    return segments * each


@dataclass
class Tally:
    """What a preview counts: every contact lands in exactly one of send/deferred/excluded."""

    audience: int = 0
    send: int = 0
    deferred: int = 0
    excluded: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    deferred_until: dict[str, list[dt.datetime]] = field(default_factory=dict)
    segments: int = 0
    cost: float = 0.0
    encodings: Counter[str] = field(default_factory=Counter)
    max_segments: int = 0
    missing: Counter[str] = field(default_factory=Counter)
    added: Counter[str] = field(default_factory=Counter)
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None

    def count(
        self, category: str | None, not_before: dt.datetime | None, codes: Iterable[str] = ()
    ) -> str:
        """Count one contact; returns its outcome: send, deferred or excluded."""
        self.audience += 1
        self.reasons.update(codes)
        if category is None:
            self.send += 1
            outcome = "send"
        else:
            self.categories[category] += 1
            if category in DEFERRABLE and not_before is not None:
                self.deferred += 1
                seen = self.deferred_until.get(category)
                self.deferred_until[category] = (
                    [min(seen[0], not_before), max(seen[1], not_before)]
                    if seen
                    else [not_before, not_before]
                )
                outcome = "deferred"
            else:
                self.excluded += 1
                return "excluded"
        if not_before is not None:
            self.first_at = not_before if self.first_at is None else min(self.first_at, not_before)
            self.last_at = not_before if self.last_at is None else max(self.last_at, not_before)
        return outcome

    def message(
        self,
        encoding: str,
        segments: int,
        cost: float,
        missing: Iterable[str],
        added: Iterable[str],
    ) -> None:
        """Count the message that goes to one recipient (sent or deferred)."""
        self.encodings[encoding] += 1
        self.segments += segments
        self.max_segments = max(self.max_segments, segments)
        self.cost += cost
        self.missing.update(missing)
        self.added.update(added)

    def as_dict(self, at: dt.datetime, rules_version: str) -> dict[str, Any]:
        return {
            "at": at.isoformat(),
            "rules_version": rules_version,
            "audience": self.audience,
            "send": self.send,
            "deferred": self.deferred,
            "excluded": self.excluded,
            "exclusions": {name: self.categories.get(name, 0) for name in EXCLUSIONS},
            "deferred_until": {
                name: {
                    "count": self.categories[name],
                    "first": w[0].isoformat(),
                    "last": w[1].isoformat(),
                }
                for name, w in self.deferred_until.items()
            },
            "reasons": dict(sorted(self.reasons.items())),
            "first_send_at": self.first_at.isoformat() if self.first_at else None,
            "last_send_at": self.last_at.isoformat() if self.last_at else None,
            "message": {
                "encodings": dict(self.encodings),
                "max_segments": self.max_segments,
                "segments": self.segments,
                "missing_fields": dict(self.missing),
                "added": dict(self.added),
            },
            "cost": round(self.cost, 6),
        }
