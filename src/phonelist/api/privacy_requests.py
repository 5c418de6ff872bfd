"""/api/v1/privacy/requests: the register of privacy requests and their due dates (P4).

``privacy.manage`` (owners, admins) is checked by the core, which also audits every change;
this module parses bodies and shapes answers. A number given for a request is stored only as
its keyed hash, and answers show that hash (``number_index``), never the number.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import StringConstraints as Length

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.policy import Instant, LongLine, Number
from phonelist.api.routing import api_router
from phonelist.contacts.schemas import multiline_text
from phonelist.privacy.requests import MAX_EXTENSION_MONTHS, MAX_NOTE, MAX_OUTCOME, RequestOut

__all__ = ["router"]

router = api_router(tags=["privacy"])

_STRICT = ConfigDict(extra="forbid", strict=True)
Kind = Literal["access", "erasure", "rectification", "objection", "restriction", "portability"]
Note = Annotated[str, Length(min_length=1, max_length=MAX_NOTE), AfterValidator(multiline_text)]
Outcome = Annotated[
    str, Length(min_length=1, max_length=MAX_OUTCOME), AfterValidator(multiline_text)
]
ContactId = Annotated[str, Length(min_length=26, max_length=26, pattern=r"^[0-9A-Z]{26}$")]
RequestId = Annotated[str, Path(min_length=26, max_length=26, pattern=r"^[0-9A-Z]{26}$")]


class RequestIn(BaseModel):
    model_config = _STRICT
    kind: Kind
    contact_id: ContactId | None = Field(default=None, description="The contact it is about")
    number: Number | None = Field(
        default=None, description="The person's number; stored only as its keyed hash"
    )
    note: Note | None = Field(
        default=None, description="How they asked, how to answer them (stored encrypted)"
    )
    received_at: Instant | None = Field(
        default=None, description="When it arrived; now if null. Due one calendar month later"
    )


class ExtendIn(BaseModel):
    model_config = _STRICT
    months: int = Field(default=1, ge=1, le=MAX_EXTENSION_MONTHS, description="Extra months")
    reason: LongLine = Field(description="Why more time is needed (the person must be told)")


class CloseIn(BaseModel):
    model_config = _STRICT
    status: Literal["done", "refused"] = "done"
    outcome: Outcome | None = Field(
        default=None, description="What was done, or why refused (required to refuse)"
    )


class RequestView(BaseModel):
    id: str
    kind: str
    contact_id: str | None
    number_index: str | None = Field(description="The number's keyed hash (hex), not the number")
    note: str | None
    received_at: dt.datetime
    due_at: dt.datetime
    extended_months: int
    extension_reason: str | None
    status: str = Field(description="open, extended, done or refused")
    closed_at: dt.datetime | None
    outcome: str | None
    created_by: str
    handled_by: str | None
    days_left: int | None = Field(description="Whole days until due; negative when late")
    overdue: bool

    @classmethod
    def of(cls, out: RequestOut) -> RequestView:
        return cls(**{name: getattr(out, name) for name in cls.model_fields})


@router.get("/privacy/requests", response_model=list[RequestView])
def list_requests(
    core: CoreDep,
    actor: ActorDep,
    status: Annotated[
        Literal["open", "extended", "done", "refused"] | None,
        Query(description="open means open or extended"),
    ] = None,
    overdue: Annotated[bool, Query(description="Only open requests past their due date")] = False,
) -> list[RequestView]:
    """The register, soonest due first, with days left and an overdue flag."""
    items = core.privacy_requests.list_requests(actor, status=status, overdue=overdue)
    return [RequestView.of(item) for item in items]


@router.post("/privacy/requests", status_code=201, response_model=RequestView)
def add_request(body: RequestIn, core: CoreDep, actor: ActorDep) -> RequestView:
    """Put a request on the register (audited). Give ``contact_id``, ``number`` or both."""
    out = core.privacy_requests.add(
        actor,
        body.kind,
        contact_id=body.contact_id,
        number=body.number,
        note=body.note,
        received_at=body.received_at,
    )
    return RequestView.of(out)


@router.get("/privacy/requests/{request_id}", response_model=RequestView)
def get_request(request_id: RequestId, core: CoreDep, actor: ActorDep) -> RequestView:
    return RequestView.of(core.privacy_requests.get(actor, request_id))


@router.post("/privacy/requests/{request_id}/extend", response_model=RequestView)
def extend_request(
    request_id: RequestId, body: ExtendIn, core: CoreDep, actor: ActorDep
) -> RequestView:
    """Extend an open request by one or two months in all (GDPR Art. 12(3)); audited."""
    out = core.privacy_requests.extend(actor, request_id, body.months, body.reason)
    return RequestView.of(out)


@router.post("/privacy/requests/{request_id}/close", response_model=RequestView)
def close_request(
    request_id: RequestId, body: CloseIn, core: CoreDep, actor: ActorDep
) -> RequestView:
    """Close an open request as done or refused; audited."""
    out = core.privacy_requests.close(actor, request_id, body.status, body.outcome)
    return RequestView.of(out)
