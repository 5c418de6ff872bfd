"""Rule packs: the dated data files that hold the law's numbers (hours, caps, holidays, keywords).

Packs ship with the package (``policy/packs/*.toml``: US federal, the US states COMPLIANCE.md
names, EU/UK, Canada). An operator file adds its own quiet hours, caps and holiday bans without
a code change. Every decision names the version of the rule set that made it.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from phonelist.errors import ConfigError
from phonelist.policy.calendar import HolidayRule, parse_rule
from phonelist.policy.facts import CASL_IMPLIED, CHANNELS, PURPOSES
from phonelist.policy.hours import zone

__all__ = [
    "Cap",
    "ConsentRules",
    "HolidayBan",
    "HoursRule",
    "NationalOptout",
    "Registry",
    "RuleSet",
    "Window",
    "default_rules",
    "load_rules",
]

PACKS = ("us-federal", "us-states", "eu-uk", "canada")
LOOSENING_SECTIONS = frozenset(
    {"consent", "registry", "national_optout", "holidays", "area_codes", "split_area_codes"}
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Window:
    """Allowed local times of one weekday: ``start`` included, ``end`` excluded."""

    start: dt.time
    end: dt.time

    def contains(self, local: dt.time) -> bool:
        return self.start <= local < self.end


@dataclass(frozen=True, slots=True)
class HoursRule:
    rule: str
    name: str
    regions: frozenset[str]  # empty: every region
    states: frozenset[str]  # empty: every state
    purposes: frozenset[str]
    channels: frozenset[str]
    windows: tuple[Window | None, ...]  # by weekday, Monday first; None: not that day
    also_zone: str | None = None  # the Texas clock: the window holds in this zone too


@dataclass(frozen=True, slots=True)
class HolidayBan:
    rule: str
    name: str
    regions: frozenset[str]
    states: frozenset[str]
    purposes: frozenset[str]
    channels: frozenset[str]
    holidays: tuple[HolidayRule, ...]


@dataclass(frozen=True, slots=True)
class Cap:
    rule: str
    name: str
    regions: frozenset[str]
    states: frozenset[str]
    purposes: frozenset[str]
    channels: frozenset[str]
    max: int
    window: dt.timedelta
    count_channels: str = "same"  # "same": this channel only; "all": calls and texts together
    count_senders: str = "all"  # "all": every sender number of the workspace; "same": this one
    same_subject: bool = True  # count only sends on the decision's subject, when it has one


@dataclass(frozen=True, slots=True)
class ConsentRules:
    marketing_requires_written: bool = False
    soft_opt_in: bool = False
    soft_opt_in_evidence: frozenset[str] = frozenset()
    implied: bool = False
    implied_purchase_days: int = 0
    implied_inquiry_days: int = 0


@dataclass(frozen=True, slots=True)
class Registry:
    name: str
    regions: frozenset[str]
    max_age_days: int
    ebr_purchase_days: int
    ebr_inquiry_days: int
    stale_blocks_consented: bool


@dataclass(frozen=True, slots=True)
class NationalOptout:
    name: str
    regions: frozenset[str]
    legal_persons_without_consent: bool


@dataclass(frozen=True)
class RuleSet:
    """Every rule pack in force, merged. Hashable by identity; build once and share."""

    version: str
    consent: Mapping[str, ConsentRules]  # by region; regions in no pack get ``default_consent``
    hours: tuple[HoursRule, ...]
    holiday_bans: tuple[HolidayBan, ...]
    caps: tuple[Cap, ...]
    registry: Registry | None
    national_optout: NationalOptout | None
    federal_holidays: tuple[HolidayRule, ...]
    area_codes: Mapping[str, str]  # NANP area code -> US state
    split_area_codes: Mapping[str, tuple[str, ...]]
    default_consent: ConsentRules = field(default_factory=ConsentRules)
    review_business_days: int = 10  # O2/O4: the review queue's deadline
    emergency_honours_internal_list: bool = True

    def consent_for(self, region: str | None) -> ConsentRules:
        return self.consent.get(region or "", self.default_consent)

    def implied_expiry(self, method: str, occurred: dt.datetime | None) -> dt.datetime | None:
        """C8: implied consent ends 2 years after a purchase, 6 months after an inquiry."""
        if method not in CASL_IMPLIED or occurred is None:
            return None
        canada = self.consent_for("CA")
        purchase = method == "casl_implied_purchase"
        days = canada.implied_purchase_days if purchase else canada.implied_inquiry_days
        return occurred + dt.timedelta(days=days)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The packs shipped with phonelist, without operator additions."""
    return load_rules(None)


def load_rules(operator_file: Path | None) -> RuleSet:
    """Merge the shipped packs and, when given, the operator's own TOML file."""
    docs = [_read_pack(name) for name in PACKS]
    if operator_file is not None:
        try:
            with operator_file.open("rb") as handle:
                extra = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read policy file {operator_file}: {exc}") from exc
        # Operators add restrictions; what makes a send lawful (consent, registries, area
        # codes and zones) changes only with the shipped, dated packs.
        loosening = sorted(set(extra) & LOOSENING_SECTIONS)
        if loosening:
            raise ConfigError(
                f"invalid policy file {operator_file}: {', '.join(loosening)} cannot be set by "
                "an operator file (it may add hours, holiday_bans, caps and keywords)"
            )
        extra.setdefault("name", "operator")
        extra.setdefault("version", "unversioned")
        extra.setdefault("regions", [])
        try:  # alone first, so that an error names the operator's file
            _merge([extra])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"invalid policy file {operator_file}: {_explain(exc)}") from exc
        docs.append(extra)
    try:
        return _merge(docs)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"invalid rule pack: {_explain(exc)}") from exc


def _explain(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing key {exc.args[0]!r}"
    return str(exc)


def _read_pack(name: str) -> dict[str, Any]:
    text = resources.files("phonelist.policy").joinpath("packs", f"{name}.toml").read_text("utf-8")
    return tomllib.loads(text)


def _merge(docs: list[dict[str, Any]]) -> RuleSet:
    consent: dict[str, ConsentRules] = {}
    hours: list[HoursRule] = []
    bans: list[HolidayBan] = []
    caps: list[Cap] = []
    registry: Registry | None = None
    optout: NationalOptout | None = None
    federal: tuple[HolidayRule, ...] = ()
    area_codes: dict[str, str] = {}
    split: dict[str, tuple[str, ...]] = {}
    versions = []
    for doc in docs:
        versions.append(f"{doc['name']}@{doc['version']}")
        regions = frozenset(str(r).upper() for r in doc.get("regions", []))
        if "consent" in doc:
            rules = _consent_rules(doc["consent"])
            consent.update(dict.fromkeys(regions, rules))
        hours.extend(_hours(item, regions) for item in doc.get("hours", []))
        bans.extend(_ban(item, regions) for item in doc.get("holiday_bans", []))
        caps.extend(_cap(item, regions) for item in doc.get("caps", []))
        if "registry" in doc:
            reg = doc["registry"]
            registry = Registry(
                name=reg["name"],
                regions=regions,
                max_age_days=int(reg["max_age_days"]),
                ebr_purchase_days=int(reg["ebr_purchase_days"]),
                ebr_inquiry_days=int(reg["ebr_inquiry_days"]),
                stale_blocks_consented=bool(reg.get("stale_blocks_consented", True)),
            )
        if "national_optout" in doc:
            opt = doc["national_optout"]
            optout = NationalOptout(
                name=opt["name"],
                regions=frozenset(opt["regions"]),
                legal_persons_without_consent=bool(opt["legal_persons_without_consent"]),
            )
        if "holidays" in doc:
            federal = _holiday_rules(doc["holidays"])
        for state, codes in doc.get("area_codes", {}).items():
            area_codes.update(dict.fromkeys((str(c) for c in codes), state))
        split.update({str(k): tuple(v) for k, v in doc.get("split_area_codes", {}).items()})
    return RuleSet(
        version="+".join(versions),
        consent=consent,
        hours=tuple(hours),
        holiday_bans=tuple(bans),
        caps=tuple(caps),
        registry=registry,
        national_optout=optout,
        federal_holidays=federal,
        area_codes=area_codes,
        split_area_codes=split,
    )


def _consent_rules(doc: Mapping[str, Any]) -> ConsentRules:
    return ConsentRules(
        marketing_requires_written=bool(doc.get("marketing_requires_written", False)),
        soft_opt_in=bool(doc.get("soft_opt_in", False)),
        soft_opt_in_evidence=frozenset(doc.get("soft_opt_in_evidence", [])),
        implied=bool(doc.get("implied", False)),
        implied_purchase_days=int(doc.get("implied_purchase_days", 0)),
        implied_inquiry_days=int(doc.get("implied_inquiry_days", 0)),
    )


def _scope(item: Mapping[str, Any], regions: frozenset[str]) -> dict[str, Any]:
    purposes = frozenset(item.get("purposes", ["marketing"]))
    channels = frozenset(item.get("channels", CHANNELS))
    unknown = (purposes - set(PURPOSES)) | (channels - set(CHANNELS))
    if unknown:
        raise ValueError(f"{item.get('name', '?')}: unknown purpose or channel {sorted(unknown)}")
    return {
        "rule": str(item.get("rule", "operator")),
        "name": str(item["name"]),
        "regions": frozenset(item["regions"]) if "regions" in item else regions,
        "states": frozenset(item.get("states", [])),
        "purposes": purposes,
        "channels": channels,
    }


def _hours(item: Mapping[str, Any], regions: frozenset[str]) -> HoursRule:
    by_day: list[Window | None] = [None] * 7
    for days, span in item["windows"].items():
        try:
            start, end = (dt.time.fromisoformat(s) for s in span)
        except (TypeError, ValueError):
            raise ValueError(f"{item['name']}: window {span!r} is not two HH:MM times") from None
        if not start < end:
            raise ValueError(f"{item['name']}: window {span} does not end after it starts")
        for day in _days(days):
            by_day[day] = Window(start, end)
    also_zone = item.get("also_zone")
    if also_zone is not None and zone(str(also_zone)) is None:
        raise ValueError(f"{item['name']}: unknown time zone {also_zone!r} in also_zone")
    return HoursRule(**_scope(item, regions), windows=tuple(by_day), also_zone=also_zone)


def _days(spec: str) -> Iterable[int]:
    if spec == "all":
        return range(7)
    first, _, last = spec.partition("-")
    last = last or first
    if (
        first not in WEEKDAYS
        or last not in WEEKDAYS
        or WEEKDAYS.index(last) < WEEKDAYS.index(first)
    ):
        raise ValueError(f"days {spec!r}: expected all, a weekday (mon..sun) or a range (mon-fri)")
    return range(WEEKDAYS.index(first), WEEKDAYS.index(last) + 1)


def _ban(item: Mapping[str, Any], regions: frozenset[str]) -> HolidayBan:
    scope = _scope(item, regions)
    try:
        rules = _holiday_rules(item["holidays"])
    except ValueError as exc:
        raise ValueError(f"{scope['name']}: {exc}") from exc
    return HolidayBan(**scope, holidays=rules)


def _cap(item: Mapping[str, Any], regions: frozenset[str]) -> Cap:
    count_channels = item.get("count_channels", "same")
    count_senders = item.get("count_senders", "all")
    if count_channels not in {"same", "all"} or count_senders not in {"same", "all"}:
        raise ValueError(f"{item['name']}: count_channels/count_senders must be same or all")
    if int(item["max"]) < 1:
        raise ValueError(f"{item['name']}: max must be at least 1")
    if not float(item.get("hours", 24)) > 0:
        raise ValueError(f"{item['name']}: hours must be more than 0")
    return Cap(
        **_scope(item, regions),
        max=int(item["max"]),
        window=dt.timedelta(hours=float(item.get("hours", 24))),
        count_channels=count_channels,
        count_senders=count_senders,
        same_subject=bool(item.get("same_subject", True)),
    )


def _holiday_rules(items: Iterable[Mapping[str, Any]]) -> tuple[HolidayRule, ...]:
    rules = []
    for item in items:
        parse_rule(item["rule"])  # fail on load, not on the first decision
        rules.append(
            HolidayRule(
                name=item["name"],
                rule=item["rule"],
                observed=bool(item.get("observed", True)),
                since=item.get("since"),
            )
        )
    return tuple(rules)
