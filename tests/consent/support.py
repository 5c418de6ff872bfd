"""Shared by the consent and suppression service tests: fixed instants, numbers and set-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from phonelist import Phonelist, load_settings
from phonelist.consent.commands import Grant
from phonelist.consent.ledger import StateValue
from phonelist.consent.service import DisclosureOut
from phonelist.policy.service import Check
from phonelist.security.permissions import Actor

UTC = dt.UTC
# A Wednesday, noon in Washington DC: inside every US calling window, and in the past.
AT = dt.datetime(2026, 6, 10, 16, 0, tzinfo=UTC)
NUMBER = "+12025550143"  # Washington DC: no state rules, one time zone
OTHER = "+12025550144"
PAIRS = [(c, p) for c in ("sms", "voice") for p in ("marketing", "informational")]
# Words a reply that "contains no marketing" (C3, O5) must not hold.
MARKETING_WORDS = ("sale", "offer", "discount", "deal", "promo", "coupon", "% off", "buy", "shop")
C1_TEXT = (
    "By ticking the box I agree to receive automated marketing texts and calls from Acme at "
    "this number. Consent is not a condition of purchase. Msg & data rates may apply."
)


def disclose(core: Phonelist, actor: Actor, name: str = "web", **kw: Any) -> DisclosureOut:
    """A disclosure that attests both C1 facts (unless told otherwise)."""
    kw.setdefault("automated_marketing", True)
    kw.setdefault("not_condition_of_purchase", True)
    return core.consent.add_disclosure(actor, name, kw.pop("text", C1_TEXT), **kw)


def grant(
    core: Phonelist,
    actor: Actor,
    number: str = NUMBER,
    pairs: list[tuple[str, str]] | None = None,
    at: dt.datetime = AT,
    **kw: Any,
) -> None:
    """Written consent (web form + the C1 disclosure ``web``) for each (channel, purpose)."""
    kw.setdefault("disclosure", "web")
    for channel, purpose in pairs or PAIRS:
        core.consent.apply(actor, Grant(number, channel, purpose, "web_form", **kw), now=at)


def state(core: Phonelist, actor: Actor, number: str = NUMBER) -> dict[tuple[str, str], str]:
    return {pair: value.status for pair, value in values(core, actor, number).items()}


def values(
    core: Phonelist, actor: Actor, number: str = NUMBER
) -> dict[tuple[str, str], StateValue]:
    with core.store.read() as session:
        return core.consent.ledger.state_of(session, actor.workspace_id, core.consent.e164(number))


def blocking(check: Check) -> set[tuple[str, str]]:
    """The (rule, code) of every reason that blocks the decision."""
    return {(r.rule, r.code) for r in check.decision.blocking}


def codes(check: Check) -> set[str]:
    return {r.code for r in check.decision.reasons}


@contextmanager
def sibling(core: Phonelist, **overrides: Any) -> Iterator[Phonelist]:
    """Another core on the same store and keys, with other settings (review policy, ...)."""
    settings = load_settings(
        data_dir=core.settings.data_dir, database_url=core.settings.database_url, **overrides
    )
    with Phonelist.open(settings) as other:
        yield other
