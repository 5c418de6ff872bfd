"""The invariant of COMPLIANCE.md section 8, as a Hypothesis state machine against the store.

For any interleaving of consent grants (explicit, backdated, implicit), revocations (keyword and
ambiguous replies under the default policy, agents, voice), imports with consent evidence and
sends, no send is allowed after a committed revocation unless a later explicit opt-in exists;
once the number is a contact, the bulk path answers exactly like the per-number check.
Provider signals are left to tests/consent/test_inbound.py: they suppress the number for good,
which would hide everything else here. A sabotaged ledger fold (grants always re-activating)
was checked to make this test fail.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from sqlalchemy import select

from phonelist import Phonelist
from phonelist.consent.commands import Grant, Revoke
from phonelist.imports.options import ConsentBasis, ImportOptions
from phonelist.security.permissions import Actor
from phonelist.store.models import PhoneNumber

START = dt.datetime(2026, 6, 10, 14, 0, tzinfo=dt.UTC)  # a Wednesday, 10:00 in Washington DC
PAIRS = [(c, p) for c in ("sms", "voice") for p in ("marketing", "informational")]
STOP_TEXTS = ["STOP", "stop", "Unsubscribe me", "please stop texting me", "PARAR", "Don't stop!"]
EXPLICIT = ["web_form", "keyword", "api", "paper"]
IMPLICIT = ["soft_opt_in", "casl_implied_purchase"]


def test_no_send_after_a_committed_revocation(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    disclosure = core.consent.add_disclosure(
        actor,
        "terms",
        "I agree to receive automated marketing messages. Consent is not a condition of purchase.",
        automated_marketing=True,
        not_condition_of_purchase=True,
    )
    numbers = (f"+1202555{n:04d}" for n in itertools.count(100))

    def owner_of(number: str) -> str | None:
        with core.store.read() as session:
            return session.scalar(
                select(PhoneNumber.contact_id).where(
                    PhoneNumber.e164_index == core.keyring.blind_index("phone", number)
                )
            )

    files = (tmp_path / f"import-{n}.csv" for n in itertools.count())

    class Ledger(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.number = next(numbers)
            self.now = START
            self.revoked_at: dt.datetime | None = None
            self.granted: dict[tuple[str, str], dt.datetime] = {}  # explicit grants: occurred

        def tick(self, seconds: int) -> dt.datetime:
            self.now += dt.timedelta(seconds=seconds)
            return self.now

        @rule(
            pair=st.sampled_from(PAIRS),
            method=st.sampled_from(EXPLICIT),
            backdate=st.integers(0, 3600),
            step=st.integers(1, 600),
        )
        def grant(self, pair: tuple[str, str], method: str, backdate: int, step: int) -> None:
            now = self.tick(step)
            occurred = now - dt.timedelta(seconds=backdate)
            core.consent.apply(
                actor,
                Grant(self.number, *pair, method, occurred_at=occurred, disclosure=disclosure.name),
                now,
            )
            self.granted[pair] = max(occurred, self.granted.get(pair, occurred))

        @rule(method=st.sampled_from(IMPLICIT), step=st.integers(1, 600))
        def implicit_grant(self, method: str, step: int) -> None:
            now = self.tick(step)
            evidence = {"obtained_in_sale": True, "similar_products": True, "opt_out_offered": True}
            core.consent.apply(
                actor,
                Grant(self.number, "sms", "marketing", method, occurred_at=now, evidence=evidence),
                now,
            )  # never explicit: cannot undo a revocation

        @rule(text=st.sampled_from(STOP_TEXTS), step=st.integers(1, 600))
        def reply(self, text: str, step: int) -> None:
            now = self.tick(step)
            result = core.inbound.handle(actor, self.number, text, at=now)
            assert "revoked" in result.actions  # Don't stop! revokes under the default policy
            self.revoked_at = now

        @rule(
            method=st.sampled_from(["agent", "voice_agent", "voice_keypress", "api"]),
            step=st.integers(1, 600),
        )
        def agent_revokes(self, method: str, step: int) -> None:
            now = self.tick(step)
            core.consent.apply(actor, Revoke(self.number, method), now)
            self.revoked_at = now

        @rule(
            pair=st.sampled_from(PAIRS),
            consented=st.integers(-7200, 0),
            step=st.integers(1, 600),
        )
        def import_evidence(self, pair: tuple[str, str], consented: int, step: int) -> None:
            now = self.tick(step)
            occurred = now + dt.timedelta(seconds=consented)
            path = next(files)
            path.write_text(
                "phone,consent date\n"
                f"{self.number},{occurred.isoformat().replace('+00:00', 'Z')}\n",
                encoding="utf-8",
            )
            basis = ConsentBasis(pair[0], pair[1], "web_form")
            core.imports.run(actor, path, ImportOptions(consent_basis=basis, on_duplicate="update"))
            self.granted[pair] = max(occurred, self.granted.get(pair, occurred))

        @rule(step=st.integers(1, 600))
        def send(self, step: int) -> None:
            now = self.tick(step)
            contact_id = owner_of(self.number)  # once an import made the number a contact
            for pair in PAIRS:
                decision = core.policy.check(actor, self.number, *pair, now).decision
                if contact_id is not None:  # the bulk path must say the same
                    [(_, bulk)] = core.policy.decide_audience(
                        actor, *pair, now, contact_ids=[contact_id]
                    )
                    assert bulk == decision
                if self.revoked_at is None:
                    continue
                later_opt_in = self.granted.get(pair)
                if later_opt_in is None or later_opt_in <= self.revoked_at:
                    assert not decision.allowed, (pair, decision.reasons)

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=40,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
