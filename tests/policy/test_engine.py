"""The pure policy engine on hand-built facts: consent (C1-C8), lists and registries (D1-D5, O3,
O7), what a Decision says, and ``decide_many`` equal to ``decide`` (a property)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phonelist.policy.engine import decide, decide_many
from phonelist.policy.facts import Consent, Decision, Facts, Send
from phonelist.policy.rules import PACKS, default_rules

UTC = dt.UTC
T = dt.datetime(2026, 5, 5, 16, 0, tzinfo=UTC)  # Tuesday, 12:00 in New York
NIGHT = dt.datetime(2026, 5, 6, 2, 0, tzinfo=UTC)  # Tuesday, 22:00 in New York
DAY = dt.timedelta(days=1)
SOFT = frozenset({"obtained_in_sale", "similar_products", "opt_out_offered"})


def consent(
    channel: str = "sms",
    purpose: str = "marketing",
    *,
    status: str = "granted",
    method: str = "web_form",
    written: bool = True,
    since: dt.datetime = T - 30 * DAY,
    **extra: object,
) -> Consent:
    return Consent(channel, purpose, status, method, since, written, **extra)


def us(
    *consents: Consent, area: str = "212", zone: str = "America/New_York", **kw: object
) -> Facts:
    return Facts("US", area, (zone,), consents=consents, **kw)


def blocking(decision: Decision) -> list[str]:
    return [r.code for r in decision.blocking]


def codes(decision: Decision) -> list[str]:
    return [r.code for r in decision.reasons]


# -- consent ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "channel", "purpose", "sender", "expected"),
    [
        (us(consent()), "sms", "marketing", None, "consent_ok_written"),
        (us(consent("voice")), "voice", "marketing", None, "consent_ok_written"),
        (us(consent(written=False)), "sms", "marketing", None, "consent_not_written"),
        (us(consent("voice", written=False)), "voice", "marketing", None, "consent_not_written"),
        (us(consent(purpose="informational", written=False)), "sms", "informational", None,
         "consent_ok_express"),
        (us(consent(sender="brand-a")), "sms", "marketing", "brand-a", "consent_ok_written"),
        (us(consent(sender="brand-a")), "sms", "marketing", "brand-b", "consent_wrong_sender"),
        (us(consent()), "sms", "marketing", "brand-b", "consent_ok_written"),  # every sender
        (Facts("GB", None, ("Europe/London",), consents=(consent(written=False),)), "sms",
         "marketing", None, "consent_ok_express"),  # written consent is a US rule
    ],
)  # fmt: skip
def test_C1_marketing_needs_written_consent_in_us(
    facts: Facts, channel: str, purpose: str, sender: str | None, expected: str
) -> None:
    decision = decide(facts, channel, purpose, T, sender=sender)
    assert expected in codes(decision)
    assert decision.allowed is expected.startswith("consent_ok")


@pytest.mark.parametrize(
    ("held", "channel", "purpose", "allowed"),
    [
        (("sms", "marketing"), "sms", "marketing", True),
        (("sms", "marketing"), "sms", "informational", False),
        (("sms", "informational"), "sms", "marketing", False),
        (("sms", "marketing"), "voice", "marketing", False),
        (("voice", "informational"), "voice", "informational", True),
    ],
)
def test_C5_purpose_specific(
    held: tuple[str, str], channel: str, purpose: str, allowed: bool
) -> None:
    decision = decide(us(consent(*held)), channel, purpose, T)
    assert decision.allowed is allowed
    assert ("consent_unknown" in blocking(decision)) is not allowed


def test_C5_no_consent_is_unknown_and_never_marketing() -> None:
    for region, zone in (("US", "America/New_York"), ("GB", "Europe/London"), ("BR", None)):
        facts = Facts(region, None, (zone,) if zone else ())
        decision = decide(facts, "sms", "marketing", T)
        assert "consent_unknown" in blocking(decision)
        assert decision.next_allowed_at is None


@pytest.mark.parametrize(
    ("region", "channel", "purpose", "evidence", "expected"),
    [
        ("GB", "sms", "marketing", SOFT, "consent_ok_soft_opt_in"),
        ("PT", "sms", "marketing", SOFT, "consent_ok_soft_opt_in"),
        ("GB", "sms", "marketing", SOFT - {"opt_out_offered"}, "consent_soft_opt_in_invalid"),
        ("GB", "sms", "marketing", SOFT - {"obtained_in_sale"}, "consent_soft_opt_in_invalid"),
        ("GB", "voice", "marketing", SOFT, "consent_soft_opt_in_invalid"),
        ("GB", "sms", "informational", SOFT, "consent_soft_opt_in_invalid"),
        ("US", "sms", "marketing", SOFT, "consent_soft_opt_in_invalid"),
        ("CA", "sms", "marketing", SOFT, "consent_soft_opt_in_invalid"),
    ],
)
def test_C7_soft_opt_in_eu_only_with_evidence(
    region: str, channel: str, purpose: str, evidence: frozenset[str], expected: str
) -> None:
    held = consent(channel, purpose, method="soft_opt_in", written=False, evidence=evidence)
    decision = decide(Facts(region, None, ("UTC",), consents=(held,)), channel, purpose, T)
    assert expected in codes(decision)
    assert decision.allowed is expected.endswith("_ok_soft_opt_in")


@pytest.mark.parametrize(
    ("method", "age_days", "expires_in", "expected"),
    [
        ("casl_implied_purchase", 729, None, "consent_ok_implied"),
        ("casl_implied_purchase", 731, None, "consent_expired"),  # 2 years from the pack
        ("casl_implied_inquiry", 182, None, "consent_ok_implied"),
        ("casl_implied_inquiry", 184, None, "consent_expired"),  # 6 months
        ("casl_implied_purchase", 10, -DAY, "consent_expired"),  # recorded expiry passed
        ("casl_implied_purchase", 731, 9 * DAY, "consent_expired"),  # the earlier one counts
        ("casl_implied_inquiry", 10, DAY, "consent_ok_implied"),
    ],
)
def test_C8_implied_consent_expires(
    method: str, age_days: int, expires_in: dt.timedelta | None, expected: str
) -> None:
    expires = T + expires_in if expires_in is not None else None
    held = consent(method=method, written=False, since=T - age_days * DAY, expires_at=expires)
    decision = decide(Facts("CA", None, ("America/Toronto",), consents=(held,)), "sms",
                      "marketing", T)  # fmt: skip
    assert expected in codes(decision)
    assert decision.allowed is (expected == "consent_ok_implied")


def test_C8_implied_consent_is_canadian() -> None:
    held = consent(method="casl_implied_purchase", written=False)
    assert "consent_implied_invalid" in blocking(decide(us(held), "sms", "marketing", T))


def test_emergency_is_exempt_from_consent_and_hours() -> None:
    for facts in (
        us(),
        us(consent(status="revoked"), consent("sms", "emergency", status="revoked")),
    ):
        decision = decide(facts, "sms", "emergency", NIGHT)
        assert decision.allowed
        assert "consent_exempt" in codes(decision)


@pytest.mark.parametrize("channel", ["sms", "voice"])
@pytest.mark.parametrize("purpose", ["marketing", "informational"])
def test_O3_revoked_consent_blocks_every_purpose_that_needs_consent(
    channel: str, purpose: str
) -> None:
    revoked = consent(channel, purpose, status="revoked")
    decision = decide(us(revoked), channel, purpose, T)
    assert not decision.allowed
    assert "consent_revoked" in blocking(decision)
    assert decision.next_allowed_at is None
    assert decide(us(revoked), channel, "emergency", T).allowed
    assert decide(us(consent(channel, purpose)), channel, purpose, T).allowed


def test_C3_pending_double_opt_in_blocks() -> None:
    decision = decide(us(consent(status="pending")), "sms", "marketing", T)
    assert blocking(decision) == ["consent_pending"]


# -- lists and registries -----------------------------------------------------------------------

FULL_CONSENT = (
    consent(),
    consent("voice"),
    consent(purpose="informational"),
    consent("voice", "informational"),
)


@pytest.mark.parametrize("channel", ["sms", "voice"])
@pytest.mark.parametrize("purpose", ["marketing", "informational"])
@pytest.mark.parametrize("consents", [FULL_CONSENT, ()])
def test_D1_internal_list_is_never_contacted(
    channel: str, purpose: str, consents: tuple[Consent, ...]
) -> None:
    facts = us(*consents, area="305", suppressions=frozenset({"internal_dnc"}))
    facts_override = us(
        *consents, suppressions=frozenset({"internal_dnc"}), emergency_override=True
    )
    for candidate in (facts, facts_override):  # the override is for emergencies only
        decision = decide(candidate, channel, purpose, T)
        assert "internal_dnc" in blocking(decision)
        assert decision.next_allowed_at is None
    assert decide(us(*consents, area="305"), channel, purpose, T).allowed is bool(consents)


def test_D1_emergency_honours_internal_list_unless_overridden() -> None:
    listed = frozenset({"internal_dnc"})
    blocked = decide(us(suppressions=listed), "sms", "emergency", T)
    assert blocking(blocked) == ["internal_dnc"]
    overridden = decide(us(suppressions=listed, emergency_override=True), "sms", "emergency", T)
    assert overridden.allowed
    assert "internal_dnc_overridden" in codes(overridden)


@pytest.mark.parametrize(
    ("kind", "purpose", "blocked"),
    [
        ("provider_opt_out", "marketing", True),
        ("provider_opt_out", "informational", True),
        ("provider_opt_out", "emergency", False),  # O7 is a revocation of consent
        ("carrier_deactivated", "emergency", True),
        ("reassigned", "emergency", True),
        ("erased", "informational", True),
        ("something_new", "emergency", True),  # an unknown kind blocks everything
    ],
)
def test_O7_suppression_kinds(kind: str, purpose: str, blocked: bool) -> None:
    facts = us(*FULL_CONSENT, suppressions=frozenset({kind}))
    decision = decide(facts, "sms", purpose, T)
    assert decision.allowed is not blocked
    assert (kind in blocking(decision)) is blocked


@pytest.mark.parametrize(
    ("consents", "kw", "expected"),
    [
        ((consent(),), {}, "dnc_exempt_consent"),
        ((consent(written=False),), {}, "dnc_registered"),
        ((), {"last_purchase_at": T - 548 * DAY}, "dnc_exempt_ebr"),  # 18 months
        ((), {"last_purchase_at": T - 549 * DAY}, "dnc_registered"),
        ((), {"last_inquiry_at": T - 90 * DAY}, "dnc_exempt_ebr"),  # 3 months
        ((), {"last_inquiry_at": T - 91 * DAY}, "dnc_registered"),
        ((), {"last_purchase_at": T - DAY, "suppressions": frozenset({"internal_dnc"})},
         "dnc_registered"),  # a do-not-call request ends the relationship
        ((consent(status="revoked"),), {}, "dnc_registered"),
    ],
)  # fmt: skip
def test_D2_registered_needs_written_or_ebr(
    consents: tuple[Consent, ...], kw: dict[str, object], expected: str
) -> None:
    decision = decide(us(*consents, dnc_registered=True, **kw), "sms", "marketing", T)
    assert expected in codes(decision)
    assert (expected in blocking(decision)) is (expected == "dnc_registered")
    assert decision.allowed is (expected == "dnc_exempt_consent")
    unlisted = decide(us(*consents, **kw), "sms", "marketing", T)
    assert not {"dnc_registered", "dnc_exempt_consent", "dnc_exempt_ebr"} & set(codes(unlisted))


def test_D2_registry_is_for_marketing_in_the_us() -> None:
    info = consent(purpose="informational", written=False)
    assert decide(us(info, dnc_registered=True), "sms", "informational", T).allowed
    gb = Facts("GB", None, ("Europe/London",), consents=(consent(),), dnc_registered=True)
    assert decide(gb, "sms", "marketing", T).allowed


@pytest.mark.parametrize(("age", "allowed"), [(31, True), (32, False), (0, True)])
def test_D3_registry_data_older_than_31_days_blocks_its_area_code(age: int, allowed: bool) -> None:
    facts = us(consent(), area="305", registry_date=T.date() - age * DAY)
    decision = decide(facts, "sms", "marketing", T)
    assert decision.allowed is allowed
    assert ("registry_stale" in blocking(decision)) is not allowed
    if not allowed:
        assert decision.next_allowed_at is None
        stale = next(r for r in decision.reasons if r.code == "registry_stale")
        assert (stale.rule, "305" in stale.message, "32 days" in stale.message) == (
            "D3",
            True,
            True,
        )
    info = us(consent(purpose="informational"), registry_date=T.date() - age * DAY)
    assert decide(info, "sms", "informational", T).allowed  # D3 is about marketing


def test_D3_age_counts_utc_days_whatever_the_zone_of_at() -> None:
    # 01:00 UTC on 6 May is 21:00 on 5 May in New York: one instant, one answer.
    instant = dt.datetime(2026, 5, 6, 1, 0, tzinfo=UTC)
    facts = us(consent(), registry_date=dt.date(2026, 4, 4))
    utc = decide(facts, "sms", "marketing", instant)
    local = decide(
        facts, "sms", "marketing", instant.astimezone(dt.timezone(-dt.timedelta(hours=4)))
    )
    assert "registry_stale" in blocking(utc)
    assert blocking(utc) == blocking(local)


@pytest.mark.parametrize(
    ("disconnected", "voided"),
    [(T.date() - 30 * DAY, True), (T.date() - 2 * DAY, True), (T.date() - 31 * DAY, False)],
)
def test_D4_reassigned_voids_consent(disconnected: dt.date, voided: bool) -> None:
    # The consent dates from T - 30 days: a disconnection on or after that day voids it.
    decision = decide(us(consent(), disconnected_on=disconnected), "sms", "marketing", T)
    assert ("consent_void_reassigned" in blocking(decision)) is voided
    assert decision.allowed is not voided


@pytest.mark.parametrize(
    ("region", "legal", "listed", "consents", "purpose", "expected"),
    [
        ("PT", True, False, (), "marketing", "consent_ok_legal_person"),
        ("PT", True, True, (), "marketing", "national_optout"),
        ("PT", False, False, (), "marketing", "consent_unknown"),
        ("PT", True, False, (consent(status="revoked"),), "marketing", "consent_revoked"),
        ("PT", True, False, (), "informational", "consent_unknown"),
        ("ES", True, False, (), "marketing", "consent_unknown"),
        ("PT", False, True, (consent(),), "marketing", "national_optout"),
    ],
)
def test_D5_legal_person_pt(
    region: str,
    legal: bool,
    listed: bool,
    consents: tuple[Consent, ...],
    purpose: str,
    expected: str,
) -> None:
    facts = Facts(region, None, ("Europe/Lisbon",), consents=consents, legal_person=legal,
                  national_optout_listed=listed)  # fmt: skip
    decision = decide(facts, "sms", purpose, T)
    assert expected in codes(decision)
    assert decision.allowed is (expected == "consent_ok_legal_person")


# -- what a decision says -----------------------------------------------------------------------


def test_every_blocking_reason_is_listed() -> None:
    facts = us(area="305", suppressions=frozenset({"internal_dnc"}), dnc_registered=True,
               registry_date=NIGHT.date() - 40 * DAY)  # fmt: skip
    decision = decide(facts, "sms", "marketing", NIGHT)
    assert sorted(blocking(decision)) == sorted(
        ["internal_dnc", "consent_unknown", "dnc_registered", "registry_stale"]
        + ["outside_hours"] * 2  # the federal window and Florida's
    )
    assert not decision.allowed and decision.next_allowed_at is None
    hours = decide(us(consent(), area="305"), "sms", "marketing", NIGHT)  # 22:00 in Miami
    assert [(r.rule, r.code) for r in hours.blocking] == [
        ("H2", "outside_hours"),
        ("H3", "outside_hours"),
    ]


def test_rules_version_names_every_pack() -> None:
    decision = decide(us(consent()), "sms", "marketing", T)
    assert decision.rules_version == default_rules().version
    named = [part.split("@")[0] for part in decision.rules_version.split("+")]
    assert named == list(PACKS)
    assert all(part.split("@")[1] for part in decision.rules_version.split("+"))


def test_next_allowed_at_is_at_when_allowed_and_none_when_final() -> None:
    allowed = decide(us(consent()), "sms", "marketing", T)
    assert allowed.allowed and allowed.next_allowed_at == T
    deferred = decide(us(consent()), "sms", "marketing", NIGHT)
    assert deferred.next_allowed_at == dt.datetime(2026, 5, 6, 12, 0, tzinfo=UTC)  # 08:00 EDT
    final = decide(us(consent(written=False)), "sms", "marketing", NIGHT)
    assert "outside_hours" in blocking(final) and final.next_allowed_at is None
    as_dict = deferred.as_dict()
    assert as_dict["next_allowed_at"] == "2026-05-06T12:00:00+00:00"
    assert as_dict["time_zones"] == ["America/New_York"]


@pytest.mark.parametrize(
    ("channel", "purpose", "at", "message"),
    [
        ("email", "marketing", T, "channel"),
        ("sms", "promotion", T, "purpose"),
        ("sms", "marketing", T.replace(tzinfo=None), "timezone-aware"),
    ],
)
def test_bad_arguments_are_refused(
    channel: str, purpose: str, at: dt.datetime, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        decide(us(), channel, purpose, at)
    with pytest.raises(ValueError, match=message):
        list(decide_many([(us(), ())], channel, purpose, at))


# -- properties ---------------------------------------------------------------------------------

AREAS = {  # area code -> the zones libphonenumber gives its numbers
    "850": ("America/Chicago",),
    "305": ("America/New_York",),
    "214": ("America/Chicago",),
    "915": ("America/Denver",),
    "801": ("America/Denver",),
    "480": ("America/Phoenix",),
    "301": ("America/New_York",),
    "504": ("America/Chicago",),
    "205": ("America/Chicago",),
    "215": ("America/New_York",),
    "212": ("America/New_York",),
    "418": ("America/Toronto",),
}
REGIONS = {"US": "America/New_York", "CA": "America/Toronto", "GB": "Europe/London",
           "PT": "Europe/Lisbon", "BR": "America/Sao_Paulo"}  # fmt: skip
ZONES = sorted({z for zs in AREAS.values() for z in zs} | set(REGIONS.values()))
instants = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
SECOND = dt.timedelta(seconds=1)
STATES = ["FL", "TX", "MD", "UT", "PA", "AL", "LA", "NY"]


def days(at: dt.datetime) -> st.SearchStrategy[dt.datetime]:
    return st.integers(-3 * 3600, 5 * 24 * 3600).map(lambda s: at + s * SECOND)


@st.composite
def consents(draw: st.DrawFn, at: dt.datetime) -> Consent:
    methods = ["web_form", "keyword", "soft_opt_in", "casl_implied_purchase",
               "casl_implied_inquiry"]  # fmt: skip
    return Consent(
        channel=draw(st.sampled_from(["sms", "voice"])),
        purpose=draw(st.sampled_from(["marketing", "informational"])),
        status=draw(st.sampled_from(["granted", "granted", "revoked", "pending"])),
        method=draw(st.sampled_from(methods)),
        since=at - draw(st.integers(0, 800)) * DAY,
        written=draw(st.booleans()),
        sender=draw(st.sampled_from([None, "brand-a", "brand-b"])),
        expires_at=draw(st.none() | days(at)),
        evidence=draw(st.frozensets(st.sampled_from(sorted(SOFT)))),
    )


@st.composite
def numbers(draw: st.DrawFn, at: dt.datetime) -> tuple[Facts, tuple[Send, ...]]:
    region = draw(st.sampled_from(sorted(REGIONS)))
    area = draw(st.sampled_from(sorted(AREAS))) if region in {"US", "CA"} else None
    zones = AREAS[area] if area else (REGIONS[region],)
    zones = draw(st.sampled_from([zones, zones, (), ("Etc/Unknown",), (*zones, "America/Denver")]))
    kinds = ["internal_dnc", "provider_opt_out", "carrier_deactivated", "erased", "odd"]
    facts = Facts(
        region=region,
        area_code=area,
        number_time_zones=zones,
        contact_time_zone=draw(st.none() | st.sampled_from([*ZONES, "Mars/Olympus"])),
        state=draw(st.none() | st.sampled_from(STATES)),
        consents=tuple(draw(st.lists(consents(at), max_size=4))),
        suppressions=draw(st.frozensets(st.sampled_from(kinds), max_size=2)),
        dnc_registered=draw(st.booleans()),
        registry_date=draw(st.none() | st.integers(0, 40).map(lambda d: at.date() - d * DAY)),
        national_optout_listed=draw(st.booleans()),
        legal_person=draw(st.booleans()),
        last_purchase_at=draw(st.none() | st.integers(0, 700).map(lambda d: at - d * DAY)),
        last_inquiry_at=draw(st.none() | st.integers(0, 120).map(lambda d: at - d * DAY)),
        disconnected_on=draw(st.none() | st.integers(-60, 0).map(lambda d: at.date() + d * DAY)),
        emergency_override=draw(st.booleans()),
    )
    return facts, draw(histories(at))


def histories(at: dt.datetime, hours: int = 48) -> st.SearchStrategy[tuple[Send, ...]]:
    """Sends of the last ``hours`` hours, mostly marketing texts, so that caps often bite."""
    send = st.builds(
        Send,
        at=st.integers(0, hours * 3600).map(lambda s: at - s * SECOND),
        channel=st.sampled_from(["sms", "sms", "voice"]),
        purpose=st.sampled_from(["marketing", "marketing", "informational"]),
        sender=st.sampled_from([None, "brand-a", "brand-b"]),
        subject=st.sampled_from([None, None, "spring", "fall"]),
    )
    return st.lists(send, max_size=6).map(tuple)


channels = st.sampled_from(["sms", "voice"])
purposes = st.sampled_from(["marketing", "marketing", "informational", "emergency"])
senders = st.sampled_from([None, "brand-a"])
subjects = st.sampled_from([None, "spring"])


@given(st.data(), instants, channels, purposes, senders, subjects)
def test_decide_many_equals_decide(
    data: st.DataObject,
    at: dt.datetime,
    channel: str,
    purpose: str,
    sender: str | None,
    subject: str | None,
) -> None:
    items = data.draw(st.lists(numbers(at), min_size=1, max_size=6))
    items += items[::-1]  # repeated profiles take the shared path
    bulk = list(decide_many(items, channel, purpose, at, sender=sender, subject=subject))
    single = [decide(f, channel, purpose, at, h, sender=sender, subject=subject) for f, h in items]
    assert bulk == single
