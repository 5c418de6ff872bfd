"""/api/v1/contacts/{id}/conversation, /messages, /calls: one contact's thread, a one-to-one
follow-up (queued through the outbox under the policy check) and a call's outcome log.

A follow-up the policy blocks is a 409 ``policy_blocked`` whose ``details`` hold the reason
codes and ``next_allowed_at``; send it again with ``"defer": true`` to queue it for then.
Numbers in a conversation are masked for roles without contacts.numbers (agents).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import StringConstraints as Length

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.policy import Instant, Number, Word
from phonelist.api.routing import api_router
from phonelist.campaigns import MessageOut, Sent
from phonelist.campaigns.conversations import MAX_NOTES, MAX_PAGE
from phonelist.contacts.schemas import multiline_text
from phonelist.content.template import MAX_LENGTH

__all__ = ["router"]

router = api_router(tags=["messages"])

_STRICT = ConfigDict(extra="forbid", strict=True)
ContactPath = Annotated[str, Length(min_length=1, max_length=40)]


class SendIn(BaseModel):
    model_config = _STRICT
    body: Annotated[
        str, Length(min_length=1, max_length=MAX_LENGTH), AfterValidator(multiline_text)
    ] = Field(description="The text; placeholders like {first_name|there} are filled in")
    purpose: Word = Field(default="informational", description="informational or marketing")
    sender: Annotated[str, Length(min_length=1, max_length=32)] | None = None
    number: Number | None = Field(default=None, description="One of the contact's numbers")
    defer: bool = Field(default=False, description="Queue it for when the policy allows it")
    idempotency_key: Annotated[str, Length(min_length=1, max_length=80)] | None = Field(
        default=None, description="A second send with the same key queues nothing"
    )


class CallIn(BaseModel):
    model_config = _STRICT
    outcome: Word = Field(
        description="answered, no_answer, voicemail, busy, callback_requested, wrong_number, other"
    )
    notes: Annotated[str, Length(max_length=MAX_NOTES), AfterValidator(multiline_text)] = ""
    number: Number | None = Field(default=None, description="The number called (default primary)")
    purpose: Word = "informational"
    at: Instant | None = Field(default=None, description="When the call happened (default now)")


class MessageBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    direction: str = Field(description="in or out")
    channel: str
    kind: str = Field(description="campaign, direct, call_log, a reply kind, ...")
    purpose: str | None
    status: str
    at: dt.datetime
    number: str = Field(description="Masked for roles without contacts.numbers")
    sender: str | None
    body: str | None
    subject: str | None = Field(description="A call's outcome")
    campaign_id: str | None
    error_code: str | None
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None

    @classmethod
    def of(cls, message: MessageOut) -> MessageBody:
        return cls.model_validate(message)


class SentBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    message_id: str
    status: str
    not_before: dt.datetime | None = Field(description="Set when deferred")
    duplicate: bool = Field(description="The idempotency key was used before: nothing new")
    encoding: str
    segments: int
    text: str = Field(description="As it will go out, footer included")
    reasons: list[str] = Field(description="Why it was deferred, if it was")

    @classmethod
    def of(cls, sent: Sent) -> SentBody:
        return cls.model_validate(sent)


@router.get("/contacts/{contact_id}/conversation", response_model=list[MessageBody])
def conversation(
    contact_id: ContactPath,
    core: CoreDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="The last N messages")] = 100,
) -> list[MessageBody]:
    """The contact's messages in and out, and logged calls, newest last."""
    return [
        MessageBody.of(m) for m in core.conversations.conversation(actor, contact_id, limit=limit)
    ]


@router.post("/contacts/{contact_id}/messages", response_model=SentBody, status_code=202)
def send_message(contact_id: ContactPath, body: SendIn, core: CoreDep, actor: ActorDep) -> SentBody:
    """Queue one SMS to the contact, if the policy allows it now (or, with defer, later)."""
    sent = core.conversations.send(
        actor,
        contact_id,
        body.body,
        purpose=body.purpose,
        sender=body.sender,
        number=body.number,
        defer=body.defer,
        idempotency_key=body.idempotency_key,
    )
    return SentBody.of(sent)


@router.post("/contacts/{contact_id}/calls", response_model=MessageBody, status_code=201)
def log_call(contact_id: ContactPath, body: CallIn, core: CoreDep, actor: ActorDep) -> MessageBody:
    """Record a call that happened: its outcome and the agent's notes (also a contact note)."""
    logged = core.conversations.log_call(
        actor,
        contact_id,
        body.outcome,
        notes=body.notes,
        number=body.number,
        purpose=body.purpose,
        at=body.at,
    )
    return MessageBody.of(logged)
