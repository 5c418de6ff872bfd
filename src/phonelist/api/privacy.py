"""/api/v1/privacy/export and /erase: access (P1) and erasure (P2), with ``privacy.manage``.

The core checks the permission and audits the export; this module parses the query and picks
the format. The HTML page comes as an attachment: it is a file for the person, not a page of
this site (whose security policy would not apply its inline styles).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.routing import api_router
from phonelist.clock import utcnow
from phonelist.errors import ValidationError
from phonelist.privacy import render_html

__all__ = ["router"]

router = api_router(tags=["privacy"])


@router.get(
    "/privacy/export",
    responses={200: {"content": {"application/json": {}, "text/html": {}}}},
)
def privacy_export(
    core: CoreDep,
    actor: ActorDep,
    number: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="The person's number: E.164 (%2B12025550143) or national",
        ),
    ] = None,
    contact: Annotated[
        str | None, Query(min_length=1, max_length=26, description="Or their contact id")
    ] = None,
    output: Annotated[Literal["json", "html"], Query(alias="format")] = "json",
) -> Response:
    """Everything phonelist holds about the person (audited): the contact with every value
    decrypted, consent records with their evidence (IP and user agent included), consent state,
    suppressions, registries, opt-in requests, review items, messages and audit event ids.
    Give exactly one of ``number`` and ``contact``."""
    if (number is None) == (contact is None):
        raise ValidationError("give exactly one of number and contact", field="number")
    if contact is not None:
        data = core.privacy.export(actor, contact, kind="contact")
    else:
        assert number is not None
        data = core.privacy.export(actor, number, kind="number")
    if output == "html":
        name = f"phonelist-privacy-{data['subject']['id']}-{utcnow().date().isoformat()}.html"
        return HTMLResponse(
            render_html(data), headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
    return JSONResponse(data)


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str | None = Field(default=None, min_length=1, max_length=64)
    contact: str | None = Field(default=None, min_length=1, max_length=26)
    reason: Literal["request", "retention", "other"] = "request"
    request_id: str | None = Field(default=None, min_length=1, max_length=26)


class ErasureOut(BaseModel):
    subject_type: Literal["contact", "number"]
    subject_id: str = Field(description="The contact id, or the number's keyed hash in hex")
    reason: str
    erased_at: str
    contacts: int
    numbers: int
    messages: int
    consent_records_redacted: int
    consent_requests: int
    review_items: int
    line_checks: int
    import_rejects: int
    suppressions_kept: int
    request_id: str | None


@router.post("/privacy/erase")
def privacy_erase(body: ErasureIn, core: CoreDep, actor: ActorDep) -> ErasureOut:
    """Erase a person (audited, cannot be undone): the contact and everything held about its
    numbers is deleted or wiped; each number stays suppressed by its keyed hash. Give exactly
    one of ``number`` and ``contact``."""
    if (body.number is None) == (body.contact is None):
        raise ValidationError("give exactly one of number and contact", field="number")
    subject, kind = (body.contact, "contact") if body.contact else (body.number, "number")
    assert subject is not None
    report = core.erasure.erase(
        actor,
        subject,
        kind="contact" if kind == "contact" else "number",
        reason=body.reason,
        request_id=body.request_id,
    )
    return ErasureOut(**report.as_dict())
