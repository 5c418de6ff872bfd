"""The policy engine: ``decide`` answers "may we contact this number, on this channel, for this
purpose, at this instant?" with every reason, the rule-set version and when it is next allowed.

A pure function of its inputs (time is passed in). It works in two steps so that the bulk path
can share work: :func:`profile_of` reduces a number's facts and history to the few values the
rules read (a :class:`Profile`, hashable, shared by many contacts), and :func:`decide_profile`
turns a profile into a :class:`Decision`. ``decide`` is the two composed; ``decide_many``
memoises the second step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from phonelist.policy.calendar import HolidayRule, holidays
from phonelist.policy.facts import (
    CASL_IMPLIED,
    CHANNELS,
    PURPOSES,
    SOFT_OPT_IN,
    Consent,
    Decision,
    Facts,
    Reason,
    Send,
)
from phonelist.policy.hours import local_instant, zone, zones_known
from phonelist.policy.rules import Cap, HolidayBan, HoursRule, RuleSet, default_rules

__all__ = ["Profile", "decide", "decide_many", "decide_profile", "profile_of"]

MARKETING, INFORMATIONAL, EMERGENCY = "marketing", "informational", "emergency"
SEARCH_DAYS = 15  # how far ahead next_allowed_at looks for an open window

# Which purposes each suppression kind blocks. Unknown kinds block everything (default deny).
CONSENT_BASED = frozenset({MARKETING, INFORMATIONAL})
SUPPRESSION_BLOCKS: dict[str, tuple[str, frozenset[str]]] = {
    "internal_dnc": ("D1", frozenset(PURPOSES)),  # emergency only with an audited override
    "provider_opt_out": ("O7", CONSENT_BASED),
    "carrier_deactivated": ("O7", frozenset(PURPOSES)),
    "reassigned": ("D4", frozenset(PURPOSES)),
    "erased": ("P2", frozenset(PURPOSES)),
}

CONSENT_MESSAGES: dict[str, tuple[str, str, bool]] = {
    # code: (rule, message, blocks)
    "exempt": ("C1", "emergency messages need no consent", False),
    "unknown": ("C5", "no consent on record for this channel and purpose", True),
    "revoked": ("O3", "consent was revoked", True),
    "pending": ("C3", "double opt-in not confirmed yet", True),
    "expired": ("C8", "the implied or soft opt-in consent has expired", True),
    "void_reassigned": ("D4", "the number was disconnected after consent was given", True),
    "not_written": ("C1", "marketing needs prior express written consent", True),
    "soft_opt_in_invalid": ("C7", "soft opt-in does not apply here or lacks its evidence", True),
    "implied_invalid": ("C8", "implied consent does not apply in this region", True),
    "wrong_sender": ("C1", "the consent names another sender", True),
    "ok_written": ("C1", "prior express written consent on record", False),
    "ok_express": ("C1", "prior express consent on record", False),
    "ok_soft_opt_in": ("C7", "soft opt-in: sale, similar products and opt-out proven", False),
    "ok_implied": ("C8", "implied consent (CASL) still running", False),
    "ok_legal_person": ("D5", "a legal person may be messaged until it refuses", False),
}


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


def decide(
    facts: Facts,
    channel: str,
    purpose: str,
    at: dt.datetime,
    history: Sequence[Send] = (),
    rules: RuleSet | None = None,
    *,
    sender: str | None = None,
    subject: str | None = None,
) -> Decision:
    """The decision for one number. ``at`` must be timezone-aware."""
    rules = rules or default_rules()
    _check_args(channel, purpose, at)
    profile = profile_of(
        facts, channel, purpose, at, history, rules, sender=sender, subject=subject
    )
    return decide_profile(profile, channel, purpose, at, rules)


def decide_many(
    items: Iterable[tuple[Facts, Sequence[Send]]],
    channel: str,
    purpose: str,
    at: dt.datetime,
    rules: RuleSet | None = None,
    *,
    sender: str | None = None,
    subject: str | None = None,
) -> Iterator[Decision]:
    """Decisions for many numbers at one instant, equal to ``decide`` for each of them.

    Contacts whose facts reduce to the same profile share one evaluation of the rules.
    """
    rules = rules or default_rules()
    _check_args(channel, purpose, at)
    memo: dict[Profile, Decision] = {}
    for facts, history in items:
        profile = profile_of(
            facts, channel, purpose, at, history, rules, sender=sender, subject=subject
        )
        decision = memo.get(profile)
        if decision is None:
            decision = memo[profile] = decide_profile(profile, channel, purpose, at, rules)
        yield decision


def _check_args(channel: str, purpose: str, at: dt.datetime) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
    if at.tzinfo is None:
        raise ValueError("the instant of a decision must be timezone-aware")


# -- step 1: facts to profile -------------------------------------------------------------------


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
        caps = _in_force(rules, region, state, channel, purpose)[2]
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
def _in_force(
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


# -- step 2: profile to decision ----------------------------------------------------------------


def decide_profile(
    profile: Profile, channel: str, purpose: str, at: dt.datetime, rules: RuleSet
) -> Decision:
    reasons: list[Reason] = []
    final = False  # a block that time alone does not lift
    for kind in sorted(profile.suppressions):
        rule, purposes = SUPPRESSION_BLOCKS.get(kind, ("D1", frozenset(PURPOSES)))
        if purpose not in purposes:
            continue
        if (
            kind == "internal_dnc"
            and purpose == EMERGENCY
            and (profile.emergency_override or not rules.emergency_honours_internal_list)
        ):
            reasons.append(
                Reason(
                    rule,
                    "internal_dnc_overridden",
                    _SUPPRESSED[kind] + ": overridden for this emergency campaign (audited)",
                    blocks=False,
                )
            )
            continue
        reasons.append(Reason(rule, kind, _SUPPRESSED.get(kind, f"suppressed ({kind})")))
        final = True
    rule, message, blocks = CONSENT_MESSAGES[profile.consent]
    reasons.append(Reason(rule, f"consent_{profile.consent}", message, blocks=blocks))
    final = final or blocks
    final = _registry_reasons(profile, rules, reasons) or final
    if profile.national_optout:
        reasons.append(Reason("D5", "national_optout", "on the national opt-out list"))
        final = True
    hours, bans, caps = _in_force(rules, profile.region, profile.state, channel, purpose)
    if (hours or bans) and not profile.zones:
        reasons.append(Reason("H1", "no_time_zone", "the recipient's time zone is not known"))
        final = True
    timed = _timed_reasons(profile, at, hours, bans, caps)
    reasons.extend(timed)
    if profile.zones and (hours or bans):
        reasons.append(
            Reason(
                "H1",
                "time_zone",
                f"local time from the {profile.zone_source}: {', '.join(profile.zones)}",
                blocks=False,
            )
        )
    allowed = not any(r.blocks for r in reasons)
    next_at = None
    if not allowed and not final:
        next_at = _next_allowed(profile, at, hours, bans, caps)
        if next_at is not None and profile.valid_until is not None:
            next_at = next_at if next_at < profile.valid_until else None
    elif allowed:
        next_at = at
    return Decision(
        allowed=allowed,
        reasons=tuple(reasons),
        rules_version=rules.version,
        next_allowed_at=next_at,
        time_zone_source=profile.zone_source,
        time_zones=profile.zones,
    )


_SUPPRESSED = {
    "internal_dnc": "on the internal do-not-contact list",
    "provider_opt_out": "the provider reports that the recipient opted out",
    "carrier_deactivated": "the carrier reports the number deactivated",
    "reassigned": "the number was reassigned to someone else",
    "erased": "the person behind this number asked to be erased",
}


def _registry_reasons(profile: Profile, rules: RuleSet, reasons: list[Reason]) -> bool:
    registry = rules.registry
    if registry is None:
        return False
    final = False
    if profile.registered == "registered":
        reasons.append(
            Reason(
                "D2",
                "dnc_registered",
                "on the national Do Not Call Registry, "
                "without written consent or an established business relationship",
            )
        )
        final = True
    elif profile.registered:
        why = (
            "written consent"
            if profile.registered == "exempt_consent"
            else "a business relationship"
        )
        reasons.append(
            Reason("D2", f"dnc_{profile.registered}", f"on the registry; allowed by {why}", False)
        )
    stale = profile.registry_age is not None and profile.registry_age > registry.max_age_days
    if stale and (registry.stale_blocks_consented or profile.consent != "ok_written"):
        reasons.append(
            Reason(
                "D3",
                "registry_stale",
                f"registry data for area code {profile.area_code} is "
                f"{profile.registry_age} days old (at most {registry.max_age_days}): "
                "import a fresh copy",
            )
        )
        final = True
    return final


def _timed_reasons(
    profile: Profile,
    at: dt.datetime,
    hours: tuple[HoursRule, ...],
    bans: tuple[HolidayBan, ...],
    caps: tuple[Cap, ...],
) -> list[Reason]:
    reasons: list[Reason] = []
    for rule in hours:
        keys = profile.zones + ((rule.also_zone,) if rule.also_zone else ())
        for key in dict.fromkeys(keys):
            tz = zone(key)
            if tz is None:
                continue
            local = at.astimezone(tz)
            window = rule.windows[local.weekday()]
            if window is None or not window.contains(local.time()):
                allowed = (
                    f"{window.start:%H:%M}-{window.end:%H:%M}" if window else "no sends that day"
                )
                reasons.append(
                    Reason(
                        rule.rule,
                        "outside_hours",
                        f"{rule.name}: it is {local:%a %H:%M:%S} in {key} ({allowed})",
                    )
                )
                break
    for ban in bans:
        for key in profile.zones:
            tz = zone(key)
            if tz is None:
                continue
            day = at.astimezone(tz).date()
            name = _holiday_on(ban.holidays, day)
            if name:
                reasons.append(Reason(ban.rule, "holiday", f"{ban.name}: {day} is {name} in {key}"))
                break
    if profile.capped:
        for cap, sent in zip(caps, profile.capped, strict=False):
            live = [t for t in sent if at - cap.window < t <= at]
            if len(live) >= cap.max:
                reasons.append(
                    Reason(
                        cap.rule,
                        "frequency_cap",
                        f"{cap.name}: {len(live)} {'/'.join(sorted(cap.purposes))} sends in "
                        f"the last {cap.window.total_seconds() / 3600:g} h (at most {cap.max})",
                    )
                )
    return reasons


@lru_cache(maxsize=16384)
def _holiday_on(rules: tuple[HolidayRule, ...], day: dt.date) -> str | None:
    actual = holidays(rules, day.year, observed=False)
    observed = holidays(rules, day.year, observed=True)
    return actual.get(day) or observed.get(day)


def _next_allowed(
    profile: Profile,
    at: dt.datetime,
    hours: tuple[HoursRule, ...],
    bans: tuple[HolidayBan, ...],
    caps: tuple[Cap, ...],
) -> dt.datetime | None:
    """The first instant after ``at`` when the time rules (hours, holidays, caps) all pass (H5)."""
    # A profile counts no send after ``at``, so a cap's count only falls: nothing passes before
    # the last blocking cap lets go, and the search for an open window starts there (an operator
    # cap of 1 per 30 days lets go weeks ahead, past a search that started at ``at``).
    earliest = at
    for cap, sent in zip(caps, profile.capped, strict=False):
        live = [t for t in sent if at - cap.window < t <= at]
        if len(live) >= cap.max:
            earliest = max(earliest, live[len(live) - cap.max] + cap.window)
    candidates = {earliest}
    keys = set(profile.zones)
    for rule in hours:
        if rule.also_zone:
            keys.add(rule.also_zone)
    starts = {w.start for rule in hours for w in rule.windows if w is not None}
    starts.add(dt.time(0, 0))
    first_day = earliest.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    for key in keys:
        tz = zone(key)
        if tz is None:
            continue
        for offset in range(SEARCH_DAYS + 2):
            day = first_day + dt.timedelta(days=offset)
            for start in starts:
                candidates.add(local_instant(day, start, key))
    for moment in sorted(t for t in candidates if t > at and t >= earliest):
        if not _timed_reasons(profile, moment, hours, bans, caps):
            return moment
    return None
