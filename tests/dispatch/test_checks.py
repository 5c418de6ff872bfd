"""The batched check before sending decides exactly as ``PolicyService.check`` does."""

from __future__ import annotations

import datetime as dt

from phonelist import Phonelist
from phonelist.consent.commands import Revoke
from phonelist.dispatch.checks import Pending, decide_batch
from phonelist.security.permissions import Actor
from tests.dispatch.support import AT, NIGHT, dispatcher, launch, number, populate, statuses


def pending(core: Phonelist, mid: str, e164: str, cid: str | None, purpose: str) -> Pending:
    index = core.keyring.blind_index("phone", e164)
    return Pending(mid, 1, e164, index, cid, "sms", purpose, None)


def test_the_batch_decides_like_check(core: Phonelist, actor: Actor) -> None:
    people = populate(core, 4, purposes=("marketing", "informational"))
    core.consent.apply(actor, Revoke(people[1][1], "keyword"), AT - dt.timedelta(days=1))
    core.suppressions.add(actor, people[2][1], reason="asked")
    stranger = number(99)  # no contact: decided one by one
    cases = [(f"m{i}", e164, cid) for i, (cid, e164) in enumerate(people)]
    cases.append(("m9", stranger, None))
    for purpose in ("marketing", "informational", "emergency"):
        for at in (AT, NIGHT):
            got = decide_batch(core.policy, [pending(core, *case, purpose) for case in cases], at)
            for mid, e164, _ in cases:
                # an emergency message was queued by someone allowed to override (issue 7)
                override = purpose == "emergency"
                want = core.policy.check(
                    actor, e164, "sms", purpose, at, emergency_override=override
                ).decision
                assert got[mid].allowed == want.allowed, (mid, purpose, at)
                assert [r.code for r in got[mid].reasons] == [r.code for r in want.reasons]
                assert got[mid].next_allowed_at == want.next_allowed_at


def test_a_frequency_cap_counts_what_was_sent_not_what_waits(core: Phonelist) -> None:
    people = populate(core, 1, area="305")  # Miami: Florida's H4, 3 marketing texts a day
    for campaign in "abcd":
        launch(core, people, campaign=campaign)
    worker = dispatcher(core)
    for minutes in range(6):
        worker.run_once(AT + dt.timedelta(minutes=minutes))
    found = statuses(core)
    assert found.get("sent") == 3  # the fourth waits for the cap (or is cancelled by it)
    assert found.get("sent", 0) + found.get("queued", 0) + found.get("cancelled", 0) == 4
