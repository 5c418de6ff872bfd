"""The policy engine: ``decide`` answers "may we contact this number, on this channel, for this
purpose, at this instant?" with every reason, the rule-set version and when it is next allowed.

A pure function of its inputs (time is passed in). It works in two steps so that the bulk path
can share work: :func:`profile_of` (:mod:`phonelist.policy.profile`) reduces a number's facts
and history to the few values the rules read (a :class:`Profile`, hashable, shared by many
contacts), and :func:`decide_profile` turns a profile into a :class:`Decision`. ``decide`` is
the two composed; ``decide_many`` memoises the second step (:class:`DecisionMemo`, which also
shares it between profiles that differ only where the answer cannot).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache

from phonelist.policy.calendar import HolidayRule, holidays
from phonelist.policy.facts import (
    CHANNELS,
    PURPOSES,
    Decision,
    Facts,
    Reason,
    Send,
)
from phonelist.policy.hours import local_instant, zone
from phonelist.policy.profile import (
    EMERGENCY,
    INFORMATIONAL,
    MARKETING,
    Profile,
    in_force,
    profile_of,
)
from phonelist.policy.rules import Cap, HolidayBan, HoursRule, RuleSet, default_rules

__all__ = [
    "DecisionMemo",
    "Profile",
    "decide",
    "decide_many",
    "decide_profile",
    "profile_of",
]

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
    memo = DecisionMemo(channel, purpose, at, rules)
    for facts, history in items:
        yield memo.decide(
            profile_of(facts, channel, purpose, at, history, rules, sender=sender, subject=subject)
        )


class DecisionMemo:
    """``decide_profile`` at one instant, evaluated once per class of profiles that get one
    answer, so equal to ``decide_profile`` for every profile:

    - ``valid_until`` only ever removes a ``next_allowed_at`` at or after it (from a blocked
      decision that time can lift), so it is applied to the shared answer afterwards;
    - of the sends a cap counts, only how many there are and, when they reach the cap, the one
      whose end of window lifts it (``_next_allowed``) are read: the rest are made equal.
    """

    def __init__(self, channel: str, purpose: str, at: dt.datetime, rules: RuleSet) -> None:
        self.channel, self.purpose, self.at, self.rules = channel, purpose, at, rules
        self._seen: dict[Profile, Decision] = {}
        self._memo: dict[Profile, Decision] = {}  # by the class of profiles with one answer

    def decide(self, profile: Profile) -> Decision:
        decision = self._seen.get(profile)
        if decision is None:
            decision = self._seen[profile] = self._decide(profile)
        return decision

    def _decide(self, profile: Profile) -> Decision:
        shared = profile
        if profile.capped or profile.valid_until is not None:
            caps = in_force(self.rules, profile.region, profile.state, self.channel, self.purpose)
            pairs = zip(caps[2], profile.capped, strict=False)
            capped = tuple(_cap_class(cap, sent) for cap, sent in pairs)
            shared = replace(profile, valid_until=None, capped=capped)
        decision = self._memo.get(shared)
        if decision is None:
            decision = decide_profile(shared, self.channel, self.purpose, self.at, self.rules)
            self._memo[shared] = decision
        until = profile.valid_until
        if (
            until is not None
            and not decision.allowed
            and decision.next_allowed_at is not None
            and decision.next_allowed_at >= until
        ):
            return replace(decision, next_allowed_at=None)
        return decision


def _cap_class(cap: Cap, sent: tuple[dt.datetime, ...]) -> tuple[dt.datetime, ...]:
    """Sends that ``cap`` treats like ``sent`` (all inside its window, as ``_counted`` keeps):
    under the cap, none; at or over it, as many copies of the one whose end lifts it."""
    if cap.max < 1:
        return sent
    if len(sent) < cap.max:
        return ()
    return (sent[len(sent) - cap.max],) * len(sent)


def _check_args(channel: str, purpose: str, at: dt.datetime) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
    if at.tzinfo is None:
        raise ValueError("the instant of a decision must be timezone-aware")


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
    hours, bans, caps = in_force(rules, profile.region, profile.state, channel, purpose)
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
