"""/api/v1/audit: the audit log and the verification of its chain (``audit.read``: owners, admins).

The core checks the permission; this module only parses the query and shapes the answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BaseModel, Field

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.routing import api_router
from phonelist.audit import AuditFilter, EventOut, Problem, VerifyReport
from phonelist.audit.service import MAX_CURSOR, MAX_LIMIT
from phonelist.contacts.schemas import plain_text

__all__ = ["router"]

router = api_router(tags=["audit"])

# No control characters in the filters: PostgreSQL refuses a NUL in a text parameter (a 503).
_Plain = AfterValidator(plain_text)


class AuditEventOut(BaseModel):
    id: int
    seq: int | None = Field(description="Place in the workspace's hash chain; null if unlinked")
    at: dt.datetime
    actor: str = Field(description="kind:ref, e.g. user:01J..., token:01J..., cli:alice")
    action: str
    subject_type: str
    subject_id: str | None
    detail: dict[str, Any] = Field(description="Ids, counts and field names; no personal data")
    hash: str | None

    @classmethod
    def of(cls, event: EventOut) -> AuditEventOut:
        return cls(**asdict(event))


class AuditPageOut(BaseModel):
    items: list[AuditEventOut] = Field(description="Newest first")
    next_cursor: int | None = Field(
        description="Pass as ?cursor= for the older events; null at the end"
    )


class ProblemOut(BaseModel):
    kind: str = Field(
        description="edited, reordered, missing, unlinked, broken_link, cut_tail, head_missing "
        "or head_mismatch"
    )
    message: str
    event_id: int | None
    seq: int | None

    @classmethod
    def of(cls, problem: Problem) -> ProblemOut:
        return cls(**problem.as_dict())


class VerifyOut(BaseModel):
    ok: bool
    events: int
    head_seq: int
    problems: list[ProblemOut]

    @classmethod
    def of(cls, report: VerifyReport) -> VerifyOut:
        return cls(
            ok=report.ok,
            events=report.events,
            head_seq=report.head_seq,
            problems=[ProblemOut.of(p) for p in report.problems],
        )


@router.get("/audit", response_model=AuditPageOut)
def list_events(
    core: CoreDep,
    actor: ActorDep,
    action: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="Exact, or 'user.' for a family"),
        _Plain,
    ] = None,
    event_actor: Annotated[
        str | None,
        Query(alias="actor", min_length=1, max_length=100, description="kind:ref"),
        _Plain,
    ] = None,
    subject_type: Annotated[str | None, Query(min_length=1, max_length=32), _Plain] = None,
    subject_id: Annotated[str | None, Query(min_length=1, max_length=64), _Plain] = None,
    since: Annotated[dt.datetime | None, Query(description="ISO 8601; without a zone, UTC")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_CURSOR)] = None,
) -> AuditPageOut:
    """The workspace's audit events, newest first, filtered by any of the parameters."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    where = AuditFilter(
        action=action,
        actor=event_actor,
        subject_type=subject_type,
        subject_id=subject_id,
        since=since,
    )
    page = core.audit.events(actor, where, limit=limit, cursor=cursor)
    return AuditPageOut(
        items=[AuditEventOut.of(e) for e in page.items], next_cursor=page.next_cursor
    )


@router.get("/audit/verify", response_model=VerifyOut)
def verify_chain(core: CoreDep, actor: ActorDep) -> VerifyOut:
    """Walk the hash chain: 200 either way; ``ok`` says whether it holds, ``problems`` why not."""
    return VerifyOut.of(core.audit.verify(actor))
