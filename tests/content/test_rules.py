"""M1 (opt-out instructions and sender in every marketing SMS) and M2 (no-reply senders)."""

from __future__ import annotations

import pytest

from phonelist.content.rules import ContentRules, finish
from phonelist.errors import ValidationError

RULES = ContentRules(brand="Acme", opt_out_route="acme.example/stop")


@pytest.mark.parametrize(
    ("text", "footer"),
    [
        ("Acme: 20% off today. Reply STOP to opt out", False),
        ("Acme sale! Text stop to 12345 to end", False),
        ("20% off today. Reply STOP to opt out", True),  # the sender is not named
        ("Acme: 20% off today", True),  # no instruction
        ("Acme: don't STOP shopping", True),  # the word alone is no instruction
    ],
)
def test_M1_marketing_gets_the_footer_when_it_lacks_instructions_or_sender(
    text: str, footer: bool
) -> None:
    done = finish(text, purpose="marketing", rules=RULES)
    assert ("opt_out_footer" in done.added) is footer
    assert done.text.endswith("\nAcme: Reply STOP to opt out") is footer
    assert done.count.units == len(done.text)  # GSM-7, footer included


def test_M1_the_footer_counts_toward_segments() -> None:
    text = "Acme " + "a" * 150
    bare = finish(text, purpose="informational", rules=RULES)
    marketing = finish(text, purpose="marketing", rules=RULES)
    assert (bare.count.segments, marketing.count.segments) == (1, 2)


def test_M1_informational_messages_are_left_alone() -> None:
    assert finish("Your order shipped", purpose="informational", rules=RULES).added == ()


def test_M2_a_no_reply_sender_says_so_and_gives_another_route() -> None:
    done = finish("Your order shipped", purpose="informational", rules=RULES, two_way=False)
    assert done.added == ("no_reply_notice",)
    assert "does not receive replies" in done.text and "acme.example/stop" in done.text


def test_M2_without_another_route_a_no_reply_sender_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        finish("Hi", purpose="informational", rules=ContentRules(brand="Acme"), two_way=False)
    assert caught.value.code == "opt_out_route_missing"
