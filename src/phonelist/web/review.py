"""The review queue: replies the classifier could not read as an opt-out or not (O2), each
with what it said, who sent it (masked for roles without contacts.numbers), its deadline and
the policy already applied; resolved as an opt-out or not (consent.manage)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from phonelist.api.deps import CoreDep
from phonelist.clock import utcnow
from phonelist.consent.review_queue import review_entries
from phonelist.errors import ValidationError
from phonelist.web.pages import render
from phonelist.web.session import PageUser, check_csrf, csrf_token, flash

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
RESOLUTIONS = {"opt_out": "an opt-out", "not_opt_out": "not an opt-out"}


@router.get("/review", response_model=None)
def review_page(
    request: Request,
    core: CoreDep,
    me: PageUser,
    status: Annotated[str, Query(max_length=16)] = "open",
) -> Response:
    if status not in ("open", "resolved"):
        raise ValidationError("status is open or resolved", field="status")
    entries = review_entries(core.inbound, me.actor, status=status)
    context = {
        "me": me,
        "csrf_token": csrf_token(request),
        "entries": entries,
        "status": status,
        "now": utcnow(),
        "resolutions": RESOLUTIONS,
    }
    return render(request, "review/index.html", context)


@router.post("/review/{review_id}/resolve", response_model=None)
def resolve(
    request: Request,
    core: CoreDep,
    me: PageUser,
    review_id: str,
    resolution: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    core.inbound.resolve(me.actor, review_id, resolution)
    flash(request, f"Reply resolved as {RESOLUTIONS.get(resolution, resolution)}.")
    return RedirectResponse("/review", status_code=303)
