"""Step 1 of a decision: a number's facts and history reduced to the few values rules read.

:func:`profile_of` gives a :class:`Profile` (hashable, shared by many contacts): the consent
finding and when it stops holding, the registry position, the zones, and per applicable cap the
sends it counts. Pure; :mod:`phonelist.policy.engine` turns profiles into decisions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from phonelist.policy.facts import CASL_IMPLIED, SOFT_OPT_IN, Consent, Facts, Send
from phonelist.policy.hours import zone, zones_known
from phonelist.policy.rules import Cap, HolidayBan, HoursRule, RuleSet

__all__ = ["EMERGENCY", "INFORMATIONAL", "MARKETING", "Profile", "in_force", "profile_of"]

MARKETING, INFORMATIONAL, EMERGENCY = "marketing", "informational", "emergency"


@dataclass(frozen=True, slots=True)
class Profile:
    """The part of a number's facts and history that the rules read; shared between contacts."""

    region: str | None
    state: str | None
    area_code: str | None
    zones: tuple[str, ...]
    zone_source: str
    consent: str
    suppressions: frozenset[str]
    registered: str  # "" | "registered" | "exempt_consent" | "exempt_ebr"
    registry_age: int | None  # days since the newest registry data for the area code
    national_optout: bool
    emergency_override: bool
    capped: tuple[tuple[dt.datetime, ...], ...]  # per applicable cap: the sends it counts
    # When a fact that lets this send through now stops doing so (consent expiry, registry data
    # turning stale, a business relationship ending): next_allowed_at is never at or after it.
    valid_until: dt.datetime | None = None


def profile_of(
    facts: Facts,
    channel: str,
    purpose: str,
    at: dt.datetime,
    history: Sequence[Send],
    rules: RuleSet,
    *,
    sender: str | None = None,
    subject: str | None = None,
) -> Profile:
    region = facts.region
    us = rules.registry is not None and region in rules.registry.regions
    area_code = facts.area_code if us else None
    state = facts.state or (rules.area_codes.get(area_code) if area_code else None)
    if facts.contact_time_zone and zone(facts.contact_time_zone) is not None:
        zones: tuple[str, ...] = (facts.contact_time_zone,)
        source = "contact"
    else:
        split = rules.split_area_codes.get(area_code) if area_code else None
        zones = _zones(facts.number_time_zones, split)
        source = "number" if zones else "none"
    consent, until = _consent_code(facts, channel, purpose, at, rules, sender)
    registered, registry_age = "", None
    registry = rules.registry
    if us and purpose == MARKETING and registry is not None:
        if facts.dnc_registered:
            registered, ebr_until = _registry_exemption(facts, consent, at, rules)
            until = _earliest(until, ebr_until)
        if facts.registry_date is not None:
            # Days counted in UTC, so one instant gets one answer whatever zone ``at`` is in.
            registry_age = (at.astimezone(dt.UTC).date() - facts.registry_date).days
            if registry.stale_blocks_consented or consent != "ok_written":
                stale_day = facts.registry_date + dt.timedelta(days=registry.max_age_days + 1)
                until = _earliest(until, dt.datetime.combine(stale_day, dt.time(), dt.UTC))
    optout = rules.national_optout
    national = bool(
        optout
        and region in optout.regions
        and purpose == MARKETING
        and facts.national_optout_listed
    )
    capped: tuple[tuple[dt.datetime, ...], ...] = ()
    if history:
        caps = in_force(rules, region, state, channel, purpose)[2]
        if caps:
            capped = tuple(_counted(cap, history, channel, at, sender, subject) for cap in caps)
    return Profile(
        region=region,
        state=state,
        area_code=area_code,
        zones=zones,
        zone_source=source,
        consent=consent,
        suppressions=facts.suppressions,
        registered=registered,
        registry_age=registry_age,
        national_optout=national,
        emergency_override=facts.emergency_override and purpose == EMERGENCY,
        capped=capped,
        valid_until=until,
    )


@lru_cache(maxsize=4096)
def _zones(number_zones: tuple[str, ...], split: tuple[str, ...] | None) -> tuple[str, ...]:
    """The zones H1 uses: the number's known ones, and all zones of a split area code."""
    known = zones_known(number_zones)
    return tuple(sorted({*known, *split})) if split else known


def _earliest(first: dt.datetime | None, second: dt.datetime | None) -> dt.datetime | None:
    if first is None or second is None:
        return first or second
    return min(first, second)


def _consent_code(
    facts: Facts, channel: str, purpose: str, at: dt.datetime, rules: RuleSet, sender: str | None
) -> tuple[str, dt.datetime | None]:
    """The consent finding, and when a consent that holds now expires (None: it does not)."""
    if purpose == EMERGENCY:
        return "exempt", None
    found: Consent | None = None
    for consent in facts.consents:
        if consent.channel == channel and consent.purpose == purpose:
            found = consent
            break
    if found is None:
        optout = rules.national_optout
        if (
            purpose == MARKETING
            and facts.legal_person
            and optout is not None
            and optout.legal_persons_without_consent
            and facts.region in optout.regions
        ):
            return "ok_legal_person", None
        return "unknown", None
    if found.status == "revoked":
        return "revoked", None
    if found.status != "granted":
        return "pending", None
    if found.sender is not None and sender is not None and found.sender != sender:
        return "wrong_sender", None
    if facts.disconnected_on is not None and found.since.date() <= facts.disconnected_on:
        return "void_reassigned", None
    regional = rules.consent_for(facts.region)
    expires = found.expires_at
    if found.method in CASL_IMPLIED:
        # C8: implied consent lasts a fixed time after the purchase or inquiry, recorded expiry
        # or not (the pack's period, counted from the record's ``since``).
        days = (
            regional.implied_purchase_days
            if found.method == "casl_implied_purchase"
            else regional.implied_inquiry_days
        )
        if regional.implied:
            expires = _earliest(expires, found.since + dt.timedelta(days=days))
    if expires is not None and at >= expires:
        return "expired", None
    if found.method == SOFT_OPT_IN:
        valid = (
            regional.soft_opt_in
            and purpose == MARKETING
            and channel == "sms"
            and regional.soft_opt_in_evidence <= found.evidence
        )
        return ("ok_soft_opt_in", expires) if valid else ("soft_opt_in_invalid", None)
    if found.method in CASL_IMPLIED:
        return ("ok_implied", expires) if regional.implied else ("implied_invalid", None)
    if purpose == MARKETING and regional.marketing_requires_written and not found.written:
        return "not_written", None
    return ("ok_written" if found.written else "ok_express"), expires


def _registry_exemption(
    facts: Facts, consent: str, at: dt.datetime, rules: RuleSet
) -> tuple[str, dt.datetime | None]:
    """D2: a registered number may get marketing only with written consent or an EBR.

    Also says when an EBR exemption ends (just after the later of its two periods).
    """
    registry = rules.registry
    assert registry is not None
    if consent == "ok_written":
        return "exempt_consent", None
    if "internal_dnc" not in facts.suppressions:  # a do-not-call request ends the EBR
        ends = [
            when + dt.timedelta(days=days)
            for when, days in (
                (facts.last_purchase_at, registry.ebr_purchase_days),
                (facts.last_inquiry_at, registry.ebr_inquiry_days),
            )
            if when is not None and at <= when + dt.timedelta(days=days)
        ]
        if ends:
            return "exempt_ebr", max(ends) + dt.timedelta(microseconds=1)
    return "registered", None


R = TypeVar("R", HoursRule, HolidayBan, Cap)


@lru_cache(maxsize=16384)
def in_force(
    rules: RuleSet, region: str | None, state: str | None, channel: str, purpose: str
) -> tuple[tuple[HoursRule, ...], tuple[HolidayBan, ...], tuple[Cap, ...]]:
    """The hours, holiday bans and caps that apply to a number: few combinations, so cached."""
    return (
        _applicable(rules.hours, region, state, channel, purpose),
        _applicable(rules.holiday_bans, region, state, channel, purpose),
        _applicable(rules.caps, region, state, channel, purpose),
    )


def _applicable(
    items: Sequence[R], region: str | None, state: str | None, channel: str, purpose: str
) -> tuple[R, ...]:
    return tuple(
        item
        for item in items
        if purpose in item.purposes
        and channel in item.channels
        and (not item.regions or region in item.regions)
        and (not item.states or state in item.states)
    )


def _counted(
    cap: Cap,
    history: Sequence[Send],
    channel: str,
    at: dt.datetime,
    sender: str | None,
    subject: str | None,
) -> tuple[dt.datetime, ...]:
    since = at - cap.window
    return tuple(
        sorted(
            send.at
            for send in history
            if since < send.at <= at
            and send.purpose in cap.purposes
            and (cap.count_channels == "all" or send.channel == channel)
            and (cap.count_senders == "all" or send.sender == sender)
            and (
                not cap.same_subject
                or subject is None
                or send.subject is None
                or send.subject == subject
            )
        )
    )
