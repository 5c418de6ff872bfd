"""What every message must say (COMPLIANCE.md M1, M2), applied to a rendered text.

M1: a marketing SMS carries opt-out instructions and names the sender. When the text lacks
either, the configured footer is appended (its characters count toward the segments).
M2: when the sending number cannot receive replies, every message says so and gives another
opt-out route; without such a route configured, a message from that number is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from phonelist.content.encoding import SegmentCount, count_segments
from phonelist.errors import ValidationError

__all__ = ["ContentRules", "Finished", "finish"]

# "Reply STOP", "text STOP to ...", "txt stop", "Send STOP": an instruction, not just the word.
_OPT_OUT = re.compile(
    r"\b(?:reply|text|txt|send|responda|envie|répondez)\b[^.!?\n]{0,20}\bstop\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class ContentRules:
    """A workspace's content settings. ``brand`` is the program name people know the sender by."""

    brand: str
    footer: str = "{brand}: Reply STOP to opt out"
    no_reply_notice: str = "{brand}: this number does not receive replies. To opt out: {route}"
    opt_out_route: str | None = None  # a URL or phone number for senders without replies

    def footer_text(self) -> str:
        return self.footer.format(brand=self.brand)


@dataclass(frozen=True, slots=True)
class Finished:
    """A message ready to send: its text, what was added and why, and its segments."""

    text: str
    added: tuple[str, ...]  # "opt_out_footer" (M1), "no_reply_notice" (M2)
    count: SegmentCount


def has_opt_out_instruction(text: str) -> bool:
    return _OPT_OUT.search(text) is not None


def names_sender(text: str, brand: str) -> bool:
    return brand.casefold() in text.casefold()


def finish(text: str, *, purpose: str, rules: ContentRules, two_way: bool = True) -> Finished:
    """``text`` as it must go out for ``purpose`` from a sender that can (or cannot) reply."""
    added: list[str] = []
    body = text.rstrip()
    if purpose == "marketing" and not (
        has_opt_out_instruction(body) and names_sender(body, rules.brand)
    ):
        body = f"{body}\n{rules.footer_text()}"
        added.append("opt_out_footer")
    if not two_way:
        if not rules.opt_out_route:
            raise ValidationError(
                "this sender number cannot receive replies: configure another opt-out route "
                "(opt_out_route, a web page or phone number) before sending from it (M2)",
                field="sender",
                code="opt_out_route_missing",
            )
        body = (
            f"{body}\n{rules.no_reply_notice.format(brand=rules.brand, route=rules.opt_out_route)}"
        )
        added.append("no_reply_notice")
    return Finished(body, tuple(added), count_segments(body))
