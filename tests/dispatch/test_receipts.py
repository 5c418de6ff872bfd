"""Delivery receipts: final states, repeats, unknown references, provider opt-outs (O7)."""

from __future__ import annotations

import datetime as dt

import pytest

from phonelist import Phonelist
from phonelist.errors import PermissionDenied
from phonelist.gateways import DeliveryReport
from phonelist.security.permissions import Actor, Role
from tests.dispatch.support import AT, Scripted, dispatcher, launch, message, populate

LATER = AT + dt.timedelta(minutes=1)


def sent(core: Phonelist, count: int) -> list[str]:
    people = populate(core, count)
    ids = launch(core, people)
    assert dispatcher(core, Scripted()).run_once(AT).sent == count
    return ids


def report(core: Phonelist, mid: str, status: str, code: str | None = None) -> DeliveryReport:
    ref = message(core, mid).provider_ref
    assert ref is not None
    return DeliveryReport(ref, status, status, error_code=code)


def test_delivered_is_final_and_repeats_change_nothing(core: Phonelist, actor: Actor) -> None:
    [mid] = sent(core, 1)
    first = core.dispatch.apply_receipt(actor, report(core, mid, "delivered"), LATER)
    assert (first.message_id, first.status, first.changed) == (mid, "delivered", True)
    row = message(core, mid)
    assert (row.status, row.delivered_at) == ("delivered", LATER)
    again = core.dispatch.apply_receipt(actor, report(core, mid, "delivered"), LATER)
    late = core.dispatch.apply_receipt(actor, report(core, mid, "failed", "30003"), LATER)
    back = core.dispatch.apply_receipt(actor, report(core, mid, "sent"), LATER)
    assert not again.changed and not late.changed and not back.changed
    assert message(core, mid).status == "delivered" and message(core, mid).error_code is None


def test_undelivered_keeps_the_code_and_unknown_references_are_ignored(
    core: Phonelist, actor: Actor
) -> None:
    [mid] = sent(core, 1)
    core.dispatch.apply_receipt(actor, report(core, mid, "undelivered", "30003"), LATER)
    row = message(core, mid)
    assert (row.status, row.error_code) == ("undelivered", "30003")
    unknown = DeliveryReport("SM-unknown", "delivered", "delivered")
    assert core.dispatch.apply_receipt(actor, unknown, LATER).message_id is None


def test_O7_an_opt_out_code_in_a_receipt_suppresses_and_cancels_the_rest(
    core: Phonelist, actor: Actor
) -> None:
    people = populate(core, 1)
    [mid] = launch(core, people, campaign="a")
    dispatcher(core, Scripted()).run_once(AT)
    [waiting] = launch(core, people, campaign="b")
    done = core.dispatch.apply_receipt(actor, report(core, mid, "failed", "21610"), LATER)
    assert done.opted_out and message(core, mid).status == "failed"
    kinds = {s.kind for s in core.suppressions.show(actor, people[0][1]) if s.active}
    assert kinds == {"provider_opt_out"}
    assert message(core, waiting).status == "cancelled"


def test_receipts_need_the_inbound_permission(core: Phonelist) -> None:
    [mid] = sent(core, 1)
    viewer = Actor(1, Role.VIEWER, "user", "someone")
    with pytest.raises(PermissionDenied):
        core.dispatch.apply_receipt(viewer, report(core, mid, "delivered"), LATER)
