"""The rows of the bulk decision path: one per contact's primary number, reduced by SQL.

:func:`facts_query` reads them from ``policy_facts`` (the trigger-kept table of migration
0008): one ordered range of one table per chunk, no look-up per contact. Every row has the
layout of :data:`COLUMNS`; :func:`reduced_facts` turns one into the :class:`Facts` that every
rule reads like the contact's own (instants the rules cannot use are left out in SQL, so that
contacts share one decision).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    String,
    Text,
    TypeDecorator,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql import Select

from phonelist.policy.facts import CASL_IMPLIED, SOFT_OPT_IN, Consent, Facts
from phonelist.policy.rules import RuleSet
from phonelist.policy.states import us_state
from phonelist.store.policy_models import policy_facts

__all__ = [
    "COLUMNS",
    "PT_OPTOUT",
    "US_DNC",
    "Raw",
    "facts_query",
    "flags",
    "instant",
    "reduced_facts",
]

US_DNC, PT_OPTOUT = "us_dnc", "pt_optout"

# The row: contact id, blind index, then what the memo key and the facts are made of.
COLUMNS = (
    "contact_id", "e164_index", "region", "area_code", "time_zones", "contact_time_zone",
    "country", "contact_region", "status", "method", "sender", "evidence", "since", "expires",
    "purchase", "inquiry", "flags", "suppressions",
)  # fmt: skip


class Raw(TypeDecorator[Any]):
    """A column read as the driver gives it: no per-row conversion (see :func:`instant`)."""

    impl = String
    cache_ok = True


def facts_query(workspace: int, channel: str, purpose: str, rules: RuleSet) -> Select[Any]:
    """The rows of ``workspace``'s primary numbers in contact order, from ``policy_facts``."""
    t = policy_facts.c
    pair = f"{channel}_{purpose}"

    def consent(suffix: str) -> Any:
        return t[f"{pair}_{suffix}"]

    registry, optout = rules.registry, rules.national_optout
    if purpose == "marketing" and registry is not None:
        registered: Any = t.us_dnc.is_(True) & t.region.in_(sorted(registry.regions))
    else:
        registered = false()
    if purpose == "marketing" and optout is not None:
        listed: Any = t.pt_optout.is_(True) & t.region.in_(sorted(optout.regions))
    else:
        listed = false()
    # Instants are read only where the rules can use them (an expiring consent, the business
    # relationship of a registered number): elsewhere they would only keep contacts from
    # sharing one decision.
    expiring = or_(consent("expires").is_not(None), consent("method").in_(CASL_IMPLIED))
    return (
        select(
            t.contact_id,
            t.e164_index,
            t.region,
            t.area_code,
            cast(t.time_zones, Text),
            t.contact_time_zone,
            t.country,
            t.contact_region,
            consent("status"),
            consent("method"),
            consent("sender"),
            # evidence is read by soft opt-in only (C7)
            case((consent("method") == SOFT_OPT_IN, cast(consent("evidence"), Text))),
            _raw(case((expiring, consent("since")), else_=None)),
            _raw(consent("expires")),
            _raw(case((registered, t.last_purchase_at), else_=None)),
            _raw(case((registered, t.last_inquiry_at), else_=None)),
            flags(
                written=consent("written").is_(True),
                # D4 voids a consent given before the line was disconnected
                void=t.reassigned.is_(True)
                & consent("status").is_not(None)
                & (func.date(consent("since")) <= t.reassigned_since),
                dnc=registered,
                pt=listed,
                legal=t.legal_person.is_(True),
            ),
            t.suppressions,
        )
        .where(t.workspace_id == workspace, t.is_primary.is_(True))
        .order_by(t.contact_id)
    )


def _raw(column: Any) -> Any:
    return type_coerce(column, Raw())


# The bits of the row's ``flags`` column: five yes/no facts read as one value.
WRITTEN, VOID, DNC, PT, LEGAL = 1, 2, 4, 8, 16


def flags(*, written: Any, void: Any, dnc: Any, pt: Any, legal: Any) -> Any:
    """The five conditions as one integer (fewer values to read per row)."""
    total: Any = literal(0)
    for bit, condition in ((WRITTEN, written), (VOID, void), (DNC, dnc), (PT, pt), (LEGAL, legal)):
        total = total + case((condition, bit), else_=0)
    return total


@lru_cache(maxsize=1024)
def suppression_kinds(text: str | None) -> frozenset[str]:
    """``|internal_dnc|reassigned|`` (the table's form, any order) as a set."""
    return frozenset(kind for kind in (text or "").split("|") if kind)


def reduced_facts(
    row: Any,
    channel: str,
    purpose: str,
    at: dt.datetime,
    dates: dict[str, dt.date],
    emergency_override: bool,
) -> Facts:
    """Facts that every rule reads like the contact's own: dates become SQL's flags."""
    (
        _,
        _,
        region,
        code,
        zones,
        contact_tz,
        country,
        contact_region,
        status,
        method,
        sender,
        evidence,
        since,
        expires,
        purchase,
        inquiry,
        bits,
        kinds,
    ) = row
    consents: tuple[Consent, ...] = ()
    if status is not None:
        consents = (
            Consent(
                channel=channel,
                purpose=purpose,
                status=status,
                method=method,
                since=instant(since) or at,
                written=bool(bits & WRITTEN),
                sender=sender,
                expires_at=instant(expires),
                evidence=frozenset(json.loads(evidence) if evidence else ()),
            ),
        )
    return Facts(
        region=region,
        area_code=code,
        number_time_zones=tuple(json.loads(zones)) if zones else (),
        contact_time_zone=contact_tz,
        state=us_state(country, contact_region),
        consents=consents,
        suppressions=kinds if isinstance(kinds, frozenset) else suppression_kinds(kinds),
        dnc_registered=bool(bits & DNC),
        registry_date=dates.get(code) if code else None,
        national_optout_listed=bool(bits & PT),
        legal_person=bool(bits & LEGAL),
        last_purchase_at=instant(purchase),
        last_inquiry_at=instant(inquiry),
        disconnected_on=at.date() if bits & VOID else None,
        emergency_override=emergency_override,
    )


def instant(value: Any) -> dt.datetime | None:
    """A stored UTC instant as the driver returned it (text on SQLite), made aware."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
