"""/api/v1/policy, /suppressions and /dnc: decide sends, keep the do-not-contact lists.

Each endpoint parses its input, calls one core service (which checks the permission) and
renders the answer; core errors become the one JSON error shape in :mod:`phonelist.api.errors`.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

from fastapi import File, Form, Query, UploadFile
from fastapi import Path as PathParam
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, Strict
from pydantic import StringConstraints as Length

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.routing import api_router
from phonelist.clock import utcnow
from phonelist.contacts.schemas import plain_text
from phonelist.ids import new_id

__all__ = [
    "MAX_CONTACT_IDS",
    "Instant",
    "Language",
    "Line",
    "LongLine",
    "Number",
    "NumberPath",
    "Ref",
    "SuppressionBody",
    "Word",
    "router",
]

router = api_router()

MAX_CONTACT_IDS = 10_000
CHUNK = 1 << 20
_STRICT = ConfigDict(extra="forbid", strict=True)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


_Plain = AfterValidator(plain_text)
# One line of text without control characters, by the longest the store keeps.
Word = Annotated[str, Length(min_length=1, max_length=32), _Plain]  # channel, purpose, kind
Language = Annotated[str, Length(min_length=1, max_length=16), _Plain]
Ref = Annotated[str, Length(min_length=1, max_length=100), _Plain]  # sender, source, a name
Line = Annotated[str, Length(min_length=1, max_length=300), _Plain]  # a reason
LongLine = Annotated[str, Length(min_length=1, max_length=500), _Plain]  # a URL, a reference
Number = Annotated[
    str,
    Length(min_length=1, max_length=64),
    _Plain,
    Field(description="E.164 (+12025550143), or a national number in the workspace's region"),
]
# ISO 8601 with a zone ("2026-03-08T13:05:00Z"); JSON has no datetime, so strings are parsed.
Instant = Annotated[AwareDatetime, Strict(False)]
NumberPath = Annotated[
    str,
    PathParam(
        min_length=1,
        max_length=64,
        description="URL-encoded E.164 (%2B12025550143), or a national number",
    ),
]


# -- policy ---------------------------------------------------------------------------------------
class CheckIn(BaseModel):
    model_config = _STRICT
    number: Number
    channel: Word = Field(description="sms or voice")
    purpose: Word = Field(description="marketing, informational or emergency")
    at: Instant | None = Field(default=None, description="When the send would happen; now if null")
    sender: Ref | None = None
    subject: Ref | None = Field(default=None, description="For same-subject caps (H4)")


class DecisionsIn(BaseModel):
    model_config = _STRICT
    channel: Word
    purpose: Word
    at: Instant | None = None
    sender: Ref | None = None
    subject: Ref | None = None
    contact_ids: list[Ref] | None = Field(
        default=None,
        max_length=MAX_CONTACT_IDS,
        description="Decide these contacts, each returned; null decides the whole workspace",
    )
    limit: int = Field(
        default=1000,
        ge=0,
        le=MAX_CONTACT_IDS,
        description="Without contact_ids: how many decisions to list (the summary counts all)",
    )


class ContactDecision(BaseModel):
    contact_id: str
    allowed: bool
    reasons: list[str] = Field(description="Every reason code, blocking or not")
    next_allowed_at: str | None = Field(description="ISO 8601, as POST /policy/check gives it")


class DecisionSummary(BaseModel):
    allowed: int
    blocked: int
    by_reason: dict[str, int] = Field(description="Blocked contacts per blocking reason code")


class DecisionsOut(BaseModel):
    at: str
    summary: DecisionSummary
    decisions: list[ContactDecision] = Field(description="In contact id order")
    truncated: bool = Field(description="More contacts were decided than listed (see limit)")
    not_found: list[str] = Field(description="Requested contact ids that have no number")


@router.post("/policy/check", tags=["policy"])
def check(body: CheckIn, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """May this number be contacted on this channel, for this purpose, at this instant?"""
    at = body.at or utcnow()
    found = core.policy.check(
        actor,
        body.number,
        body.channel,
        body.purpose,
        at,
        sender=body.sender,
        subject=body.subject,
    )
    return {"number": found.e164, "at": at.isoformat(), **found.decision.as_dict()}


@router.post("/policy/decisions", response_model=DecisionsOut, tags=["policy"])
def decide_audience(body: DecisionsIn, core: CoreDep, actor: ActorDep) -> DecisionsOut:
    """Decide many contacts (their primary number) at once, with the same answers as check.

    The answer is capped, not paged: with ``contact_ids`` every one is listed; without, the
    whole workspace is decided and counted, and the first ``limit`` decisions are listed.
    """
    at = body.at or utcnow()
    wanted = body.contact_ids
    cap = len(wanted) if wanted is not None else body.limit
    counts = Counter[str]()
    by_reason = Counter[str]()
    listed: list[ContactDecision] = []
    for contact_id, decision in core.policy.decide_audience(
        actor,
        body.channel,
        body.purpose,
        at,
        contact_ids=wanted,
        sender=body.sender,
        subject=body.subject,
    ):
        counts["allowed" if decision.allowed else "blocked"] += 1
        by_reason.update({reason.code for reason in decision.blocking})
        if len(listed) < cap:
            listed.append(
                ContactDecision(
                    contact_id=contact_id,
                    allowed=decision.allowed,
                    reasons=[reason.code for reason in decision.reasons],
                    next_allowed_at=_iso(decision.next_allowed_at),
                )
            )
    decided = counts["allowed"] + counts["blocked"]
    seen = {d.contact_id for d in listed}
    return DecisionsOut(
        at=at.isoformat(),
        summary=DecisionSummary(
            allowed=counts["allowed"], blocked=counts["blocked"], by_reason=dict(by_reason)
        ),
        decisions=listed,
        truncated=decided > len(listed),
        not_found=sorted(set(wanted) - seen) if wanted is not None else [],
    )


# -- the do-not-contact list (D1, O7) -------------------------------------------------------------
class SuppressionIn(BaseModel):
    model_config = _STRICT
    number: Number
    kind: Word = Field(
        default="internal_dnc",
        description="internal_dnc, provider_opt_out, carrier_deactivated, reassigned or erased",
    )
    source: Ref | None = Field(default=None, description="Where the request came from")
    reason: Line | None = None


class LiftIn(BaseModel):
    model_config = _STRICT
    reason: Line


class SuppressionBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    number: str | None = Field(
        validation_alias="e164", description="null once the person is erased (P2)"
    )
    kind: str
    source: str | None
    reason: str | None
    active: bool
    created_at: dt.datetime
    created_by: str
    lifted_at: dt.datetime | None
    lifted_by: str | None


@router.get("/suppressions", response_model=list[SuppressionBody], tags=["suppressions"])
def list_suppressions(
    core: CoreDep,
    actor: ActorDep,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    include_lifted: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SuppressionBody]:
    """The newest entries first, up to ``limit``."""
    entries = core.suppressions.entries(
        actor, kind=kind, include_lifted=include_lifted, limit=limit
    )
    return [SuppressionBody.model_validate(e) for e in entries]


@router.post(
    "/suppressions", status_code=201, response_model=SuppressionBody, tags=["suppressions"]
)
def add_suppression(body: SuppressionIn, core: CoreDep, actor: ActorDep) -> SuppressionBody:
    """Put a number on the list; a number already listed for this kind keeps its entry."""
    entry = core.suppressions.add(
        actor, body.number, kind=body.kind, source=body.source, reason=body.reason
    )
    return SuppressionBody.model_validate(entry)


@router.get(
    "/suppressions/number/{number}",
    response_model=list[SuppressionBody],
    tags=["suppressions"],
)
def suppression_history(
    number: NumberPath, core: CoreDep, actor: ActorDep
) -> list[SuppressionBody]:
    """Every entry of a number, lifted ones included, oldest first."""
    return [SuppressionBody.model_validate(e) for e in core.suppressions.show(actor, number)]


@router.post(
    "/suppressions/{suppression_id}/lift", response_model=SuppressionBody, tags=["suppressions"]
)
def lift_suppression(
    suppression_id: str, body: LiftIn, core: CoreDep, actor: ActorDep
) -> SuppressionBody:
    """End an entry; it stays listed with ``lifted_at``. Erasures cannot be lifted."""
    return SuppressionBody.model_validate(
        core.suppressions.lift(actor, suppression_id, body.reason)
    )


# -- national registries (D2, D3, D5) -------------------------------------------------------------
class FileResultBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    file: str
    registry: str
    kind: str
    area_codes: list[str]
    added: int
    deleted: int


class AreaStatusBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    registry: str
    area_code: str
    registry_date: dt.date
    age_days: int
    stale: bool = Field(description="Older than the rule pack's limit: marketing is blocked (D3)")
    numbers: int


@router.post("/dnc/imports", status_code=201, response_model=FileResultBody, tags=["dnc"])
def import_registry_file(
    core: CoreDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="A registry file: text, XML or zip")],
    registry_date: Annotated[dt.date, Form(description="The registry's own date of the data")],
    kind: Annotated[str, Form(max_length=16)] = "full",
    registry: Annotated[str, Form(max_length=16)] = "us_dnc",
) -> FileResultBody:
    """Apply one registry file in one transaction: a bad line leaves the store unchanged."""
    folder = _save(core.settings.data_dir / "uploads" / new_id(), file)
    try:
        result = core.registries.import_file(
            actor,
            folder / _safe_name(file.filename),
            registry_date=registry_date,
            kind=kind,
            registry=registry,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return FileResultBody.model_validate(result)


@router.get("/dnc/status", response_model=list[AreaStatusBody], tags=["dnc"])
def registry_status(core: CoreDep, actor: ActorDep) -> list[AreaStatusBody]:
    """Per registry and area code: the newest data's date, its age and whether it is stale."""
    return [AreaStatusBody.model_validate(s) for s in core.registries.status(actor)]


def _iso(value: dt.datetime | None) -> str | None:
    """Instants as :meth:`Decision.as_dict` writes them, so check and bulk answers compare."""
    return value.isoformat() if value is not None else None


def _safe_name(filename: str | None) -> str:
    """The client's base name with anything but ``[A-Za-z0-9._-]`` replaced: no path tricks.

    The name is kept (made safe) because the import rows record it, and its suffix says
    whether the file is XML or zip.
    """
    name = _UNSAFE_NAME.sub("_", Path(filename or "").name).lstrip(".")[-100:]
    return name or "upload.txt"


def _save(folder: Path, upload: UploadFile) -> Path:
    """Write the upload into a new private folder of its own; returns the folder."""
    folder.mkdir(mode=0o700, parents=True)
    with (folder / _safe_name(upload.filename)).open("xb") as out:
        while chunk := upload.file.read(CHUNK):
            out.write(chunk)
    return folder
