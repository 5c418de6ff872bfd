"""Issue 7's end-to-end proof, over real HTTP both ways.

Import a spreadsheet, build a segment, compose and launch a campaign, dispatch it to a local
fake Twilio, and take its delivery callbacks through phonelist's own webhook endpoint. A STOP
reply arrives mid-campaign: the rest of that number's messages are not sent, exactly one
confirmation goes out, and the next campaign excludes the number. Unsigned or wrongly signed
webhooks are refused and change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from phonelist import Phonelist, Settings
from phonelist.api.app import create_app
from phonelist.campaigns import Draft
from phonelist.imports import ConsentBasis, ImportOptions
from phonelist.security.permissions import Actor
from phonelist.store.consent_models import Message
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, serve, serve_asgi

PEOPLE = [
    ("Ana", "+1 (202) 555-0101"),
    ("Bruno", "202.555.0102"),
    ("Carla", "+12025550103"),
    ("Dinis", "(202) 555-0104"),
    ("Eva", "2025550105"),
    ("Filipa", "+1 202 555 0106"),
]
E164 = [f"+1202555010{i}" for i in range(1, len(PEOPLE) + 1)]
STOPPER = "+12025550104"


def _e164(name: str) -> str:
    return E164[[n for n, _ in PEOPLE].index(name)]


OUR_NUMBER = "+12025550000"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with serve() as running:
        yield running


@pytest.fixture
def wired(
    core: Phonelist, settings: Settings, fake: FakeTwilio
) -> Iterator[tuple[Phonelist, str, httpx.Client]]:
    """phonelist (initialised by ``core``) with the Twilio gateway at the fake, its API served
    on a real port."""
    with serve_asgi(_Late()) as base:
        configured = settings.model_copy(
            update={
                "public_url": base,
                "gateway": {
                    "kind": "twilio",
                    "twilio_account_sid": ACCOUNT_SID,
                    "twilio_auth_token": AUTH_TOKEN,
                    "twilio_from": OUR_NUMBER,
                    "twilio_base_url": fake.base_url,
                    "status_callback_url": f"{base}/webhooks/twilio/status",
                },
            }
        )
        with Phonelist.open(configured) as wired_core:
            _Late.app = create_app(wired_core)
            with httpx.Client(base_url=base, timeout=10) as client:
                yield wired_core, base, client


class _Late:
    """The served ASGI app, set once the core exists (the core needs the server's URL)."""

    app: object = None

    async def __call__(self, scope: object, receive: object, send: object) -> None:
        await _Late.app(scope, receive, send)  # type: ignore[operator]


def _import(core: Phonelist, actor: Actor, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    lines = ["First name,Telemóvel,consent_at"]
    lines += [f"{name},{number},2026-01-05" for name, number in PEOPLE]
    lines.append("Bad,12,2026-01-05")  # rejected: not a number
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = core.imports.run(
        actor,
        source,
        ImportOptions(
            region="US",
            tags=("spring",),
            consent_basis=ConsentBasis.parse("sms:informational:web_form"),
        ),
    )
    assert (report.counts.imported, report.counts.rejected) == (len(PEOPLE), 1)


def _sent_to(fake: FakeTwilio, number: str) -> list[str]:
    return [m.body for m in fake.messages if m.to == number]


def test_import_segment_campaign_dispatch_stop_and_callbacks(
    wired: tuple[Phonelist, str, httpx.Client], fake: FakeTwilio, tmp_path: Path
) -> None:
    core, base, _client = wired
    actor = core.cli_actor()
    _import(core, actor, tmp_path)
    core.segments.save(actor, "spring", "tag = spring")
    campaign = core.campaigns.create(
        actor,
        Draft(
            name="Opening hours",
            body="Hi {first_name|there}, we open at 9 tomorrow. Reply STOP to opt out.",
            purpose="informational",
            audience_kind="segment",
            audience="spring",
            schedule_kind="now",
        ),
    )
    launched = core.campaigns.launch(actor, campaign.id)
    assert launched.queued == len(PEOPLE)

    dispatcher = core.dispatch.dispatcher(batch_size=2)
    try:
        first = dispatcher.run_once(dt.datetime.now(dt.UTC))
        assert first.claimed == 2 and len(fake.messages) == 2
        reached = {m.to for m in fake.messages}
        stopper = next(e164 for e164 in E164 if e164 not in reached)  # not reached yet

        # The person texts STOP mid-campaign, through the webhook Twilio would call.
        answer = fake.send_inbound(f"{base}/webhooks/twilio/inbound", stopper, OUR_NUMBER, "STOP")
        assert answer.status_code == 200, answer.text
        # Twilio retries a webhook it thinks failed: the same message is not processed twice.
        again = fake.send_inbound(
            f"{base}/webhooks/twilio/inbound",
            STOPPER,
            OUR_NUMBER,
            "STOP",
            sid=_inbound_sid(core),
        )
        assert again.status_code == 200

        while dispatcher.run_once(dt.datetime.now(dt.UTC)).claimed:
            pass
    finally:
        dispatcher.close()

    to_stopper = _sent_to(fake, stopper)
    assert len(to_stopper) == 1 and "unsubscribed" in to_stopper[0]  # one confirmation, no more
    others = {m.to for m in fake.messages if "open at 9" in m.body}
    assert others == set(E164) - {stopper}
    greeted = sorted(m.body.split(",")[0] for m in fake.messages if "open at 9" in m.body)
    assert greeted == sorted(f"Hi {name}" for name, _ in PEOPLE if _e164(name) != stopper)

    # Delivery callbacks come back signed, through the real HTTP endpoint.
    responses = fake.deliver_all("delivered")
    assert responses and all(r.status_code == 200 for r in responses)
    stats = core.campaigns.stats(actor, campaign.id)
    assert stats.by_state["delivered"] == len(PEOPLE) - 1
    assert stats.by_state["cancelled"] == 1 and stats.delivery_rate == 1.0

    # The next campaign excludes the number.
    following = core.campaigns.create(
        actor,
        Draft(
            name="Next week",
            body="Hi {first_name|there}, see you next week. Reply STOP to opt out.",
            purpose="informational",
            audience_kind="segment",
            audience="spring",
            schedule_kind="now",
        ),
    )
    preview = core.campaigns.preview(actor, following.id).as_dict()
    assert preview["send"] == len(PEOPLE) - 1


def _inbound_sid(core: Phonelist) -> str:
    with core.store.read() as session:
        ref = session.scalar(select(Message.provider_ref).where(Message.direction == "in").limit(1))
    assert ref
    return ref


@pytest.mark.parametrize(
    "signature", [None, "", "AAAA", "wrong-but-base64/+=="], ids=["none", "empty", "short", "bad"]
)
@pytest.mark.parametrize("endpoint", ["inbound", "status"])
def test_unsigned_or_wrongly_signed_webhooks_are_refused_and_change_nothing(
    wired: tuple[Phonelist, str, httpx.Client], endpoint: str, signature: str | None
) -> None:
    core, _base, client = wired
    form = {
        "MessageSid": "SM1",
        "From": STOPPER,
        "To": OUR_NUMBER,
        "Body": "STOP",
        "MessageStatus": "delivered",
        "AccountSid": ACCOUNT_SID,
    }
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    answer = client.post(f"/webhooks/twilio/{endpoint}", data=form, headers=headers)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "invalid_signature"
    with core.store.read() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_signature_for_another_url_or_body_is_refused(
    wired: tuple[Phonelist, str, httpx.Client], fake: FakeTwilio
) -> None:
    core, base, client = wired
    form = {"MessageSid": "SM2", "From": STOPPER, "To": OUR_NUMBER, "Body": "STOP"}
    signed_for_status = fake.sign(f"{base}/webhooks/twilio/status", form)
    moved = client.post(
        "/webhooks/twilio/inbound", data=form, headers={"X-Twilio-Signature": signed_for_status}
    )
    tampered = client.post(
        "/webhooks/twilio/inbound",
        data={**form, "Body": "START"},
        headers={"X-Twilio-Signature": fake.sign(f"{base}/webhooks/twilio/inbound", form)},
    )
    assert (moved.status_code, tampered.status_code) == (403, 403)
    with core.store.read() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    # A webhook for a gateway that is not configured is not found.
    assert client.post("/webhooks/http_json/inbound", content=b"{}").status_code == 404
