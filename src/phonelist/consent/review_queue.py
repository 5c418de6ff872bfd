"""The review queue as a person reads it: each ambiguous reply with its text and number.

:meth:`InboundService.reviews` gives the items (deadline, policy, status); a reviewer also needs
what the reply said and who sent it. The number is masked for roles without contacts.numbers,
like everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from phonelist.consent.inbound import InboundService, ReviewOut
from phonelist.contacts.codec import mask_number
from phonelist.contacts.queries import masks_numbers
from phonelist.security.permissions import Actor
from phonelist.store.consent_models import Message

__all__ = ["ReviewEntry", "review_entries"]


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    review: ReviewOut
    number: str  # masked for roles without contacts.numbers
    text: str | None
    contact_id: str | None


def review_entries(
    inbound: InboundService, actor: Actor, *, status: str = "open"
) -> list[ReviewEntry]:
    """The review items with ``status`` (consent.manage), nearest deadline first."""
    items = inbound.reviews(actor, status=status)  # checks consent.manage
    if not items:
        return []
    masked = masks_numbers(actor)
    keyring = inbound.keyring
    with inbound.store.read() as session:
        messages = {
            m.id: m
            for m in session.scalars(
                select(Message).where(
                    Message.workspace_id == actor.workspace_id,
                    Message.id.in_([item.message_id for item in items]),
                )
            )
        }
    entries = []
    for item in items:
        message = messages.get(item.message_id)
        if message is None:  # erased since (privacy): the item stays, its reply is gone
            entries.append(ReviewEntry(item, "", None, None))
            continue
        number = keyring.decrypt(
            message.e164_enc, table="messages", column="e164", row_id=message.id
        )
        text = None
        if message.body_enc is not None:
            text = keyring.decrypt(
                message.body_enc, table="messages", column="body", row_id=message.id
            )
        shown = mask_number(number)[0] if masked else number
        entries.append(ReviewEntry(item, shown, text, message.contact_id))
    return entries
