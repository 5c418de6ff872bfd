"""One contact's page: numbers with their validation details, consent, messages, notes, audit.

What each part shows follows the permission matrix, and the core checks it again:

- numbers come from the core masked for roles without contacts.numbers (agents). The consent
  timeline is read by the contact's phone row (``consent.of_phone``), so agents see it too
  without ever learning the number; the proof pack, which holds the number, is not theirs;
- the consent timeline is the ledger's records of each number, oldest first, with the C2 fields
  (the API's ``/consent/{number}/history``); the proof pack (``/consent/{number}/evidence``:
  IP address and browser opened for consent.manage roles only, withheld for the others) is a
  download per number;
- the conversation needs messages.read, the audit trail audit.read (owners and admins);
- notes can be added with contacts.write, and a one-to-one SMS sent with messages.send (the
  policy engine decides, as for a campaign; a blocked message is explained, or deferred);
- privacy export (JSON or HTML) and erase (after a confirmation page) need privacy.manage.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from phonelist.api.deps import CoreDep
from phonelist.audit import AuditFilter
from phonelist.campaigns import PolicyBlocked
from phonelist.clock import utcnow
from phonelist.consent.evidence import (
    build_evidence,
    record_dict,
    render_evidence,
    state_dict,
)
from phonelist.contacts.commands import AddNote
from phonelist.contacts.schemas import ContactOut, PhoneOut
from phonelist.core import Phonelist
from phonelist.errors import NotFound, ValidationError
from phonelist.ids import new_id
from phonelist.privacy import render_html
from phonelist.security.permissions import Permission
from phonelist.web.pages import render
from phonelist.web.session import PageUser, SignedIn, check_csrf, flash

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
ERASE_REASONS = ("request", "other")
PURPOSES = ("informational", "marketing")
_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/contacts/{contact_id}", response_model=None)
def contact(request: Request, core: CoreDep, me: PageUser, contact_id: str) -> Response:
    return _page(request, core, me, contact_id)


@router.post("/contacts/{contact_id}/notes", response_model=None)
def add_note(
    request: Request,
    core: CoreDep,
    me: PageUser,
    contact_id: str,
    csrf_token: FormText = "",
    body: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        if not body.strip():
            raise ValidationError("write the note first", field="body")
        core.contacts.apply(me.actor, AddNote(contact_id, body))
    except ValidationError as exc:
        return _page(request, core, me, contact_id, note=body, note_error=exc.message, status=422)
    return RedirectResponse(f"/contacts/{contact_id}#notes", status_code=303)


@router.post("/contacts/{contact_id}/messages", response_model=None)
def send_message(
    request: Request,
    core: CoreDep,
    me: PageUser,
    contact_id: str,
    csrf_token: FormText = "",
    body: FormText = "",
    purpose: FormText = "informational",
    defer: FormText = "",
    key: FormText = "",
) -> Response:
    """One SMS to the contact's primary number, under the same policy check as a campaign."""
    check_csrf(request, csrf_token)
    try:
        if purpose not in PURPOSES:
            raise ValidationError("choose informational or marketing", field="purpose")
        sent = core.conversations.send(
            me.actor,
            contact_id,
            body,
            purpose=purpose,
            defer=defer == "yes",
            idempotency_key=key or None,
        )
    except PolicyBlocked as exc:
        reasons = ", ".join(str(r) for r in exc.details.get("reasons", []))
        message = f"{exc.message}: {reasons}" if reasons else exc.message
        draft = {"body": body, "purpose": purpose, "error": message}
        return _page(request, core, me, contact_id, draft=draft, status=409)
    except ValidationError as exc:
        draft = {"body": body, "purpose": purpose, "error": exc.message}
        return _page(request, core, me, contact_id, draft=draft, status=422)
    if sent.not_before is not None:
        flash(request, f"The message is queued for {when(sent.not_before)}, when it is allowed.")
    else:
        flash(request, "The message is queued to send.")
    return RedirectResponse(f"/contacts/{contact_id}#conversation", status_code=303)


@router.get("/contacts/{contact_id}/numbers/{phone_id}/evidence", response_model=None)
def evidence(
    core: CoreDep,
    me: PageUser,
    contact_id: str,
    phone_id: str,
    output: Annotated[Literal["json", "markdown"], Query(alias="format")] = "json",
) -> Response:
    """The number's proof pack (audited), as the API gives it, as a download."""
    phone = _phone(core.contacts.get(me.actor, contact_id), phone_id)
    # A masked number (agents) names no ledger; the pack would show the full number.
    me.actor.require(Permission.CONTACTS_NUMBERS)
    pack = build_evidence(core.consent, me.actor, phone.e164, utcnow(), keywords=core.keywords)
    name = f"phonelist-consent-{contact_id}-{phone_id}-{utcnow().date().isoformat()}"
    if output == "markdown":
        return Response(
            render_evidence(pack),
            media_type="text/markdown; charset=utf-8",
            headers=_download(f"{name}.md"),
        )
    return JSONResponse(pack, headers=_download(f"{name}.json"))


@router.get("/contacts/{contact_id}/export", response_model=None)
def export(
    core: CoreDep,
    me: PageUser,
    contact_id: str,
    output: Annotated[Literal["json", "html"], Query(alias="format")] = "json",
) -> Response:
    """Everything held about the person (privacy.manage; audited by the core), as a download."""
    data = core.privacy.export(me.actor, contact_id, kind="contact")
    name = f"phonelist-privacy-{data['subject']['id']}-{utcnow().date().isoformat()}"
    if output == "html":
        return HTMLResponse(render_html(data), headers=_download(f"{name}.html"))
    return JSONResponse(data, headers=_download(f"{name}.json"))


@router.get("/contacts/{contact_id}/erase", response_model=None)
def erase_form(request: Request, core: CoreDep, me: PageUser, contact_id: str) -> Response:
    """The confirmation step: what erasing does, and a form that must be ticked to go on."""
    me.actor.require(Permission.PRIVACY_MANAGE)
    person = core.contacts.get(me.actor, contact_id)
    context = {"me": me, "contact": person, "error": None}
    return render(request, "contacts/erase.html", context, headers=_NO_STORE)


@router.post("/contacts/{contact_id}/erase", response_model=None)
def erase(
    request: Request,
    core: CoreDep,
    me: PageUser,
    contact_id: str,
    csrf_token: FormText = "",
    confirm: FormText = "",
    reason: FormText = "request",
) -> Response:
    check_csrf(request, csrf_token)
    me.actor.require(Permission.PRIVACY_MANAGE)
    if confirm != "yes" or reason not in ERASE_REASONS:
        person = core.contacts.get(me.actor, contact_id)
        message = "tick the box to confirm: erasing cannot be undone"
        context = {"me": me, "contact": person, "error": message}
        return render(request, "contacts/erase.html", context, status_code=422)
    core.erasure.erase(me.actor, contact_id, kind="contact", reason=reason)
    return RedirectResponse("/contacts?done=erased&n=1", status_code=303)


# -- the page -------------------------------------------------------------------------------------
def _page(
    request: Request,
    core: Phonelist,
    me: SignedIn,
    contact_id: str,
    *,
    note: str = "",
    note_error: str | None = None,
    draft: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    actor = me.actor
    person = core.contacts.get(actor, contact_id)  # NotFound: the error page (404)
    masked = not actor.can(Permission.CONTACTS_NUMBERS)
    consent = None
    if actor.can(Permission.CONSENT_READ):  # by the phone row: agents never see the number
        consent = [_consent_of(core, me, phone) for phone in person.phones]
    messages = None
    if actor.can(Permission.MESSAGES_READ):
        messages = core.conversations.conversation(actor, contact_id, limit=50)
    events = None
    if actor.can(Permission.AUDIT_READ):
        where = AuditFilter(subject_type="contact", subject_id=contact_id)
        events = core.audit.events(actor, where, limit=50).items
    context = {
        "me": me,
        "contact": person,
        "masked": masked,
        "consent": consent,
        "consent_read": actor.can(Permission.CONSENT_READ),
        "messages": messages,
        "events": events,
        "can_write": actor.can(Permission.CONTACTS_WRITE),
        "can_privacy": actor.can(Permission.PRIVACY_MANAGE),
        "note": note,
        "note_error": note_error,
        "can_send": actor.can(Permission.MESSAGES_SEND),
        "draft": draft or {"body": "", "purpose": "informational", "error": ""},
        "send_key": new_id(),  # a form sent twice (a double click) queues one message
        "when": when,
    }
    return render(request, "contacts/contact.html", context, status_code=status, headers=_NO_STORE)


def _consent_of(core: Phonelist, me: SignedIn, phone: PhoneOut) -> dict[str, Any]:
    """One number's consent: its state per channel and purpose, its ledger records, oldest
    first, and its suppressions. No IP address or browser: those are in the proof pack."""
    current, ledger = core.consent.of_phone(me.actor, phone.id)
    state = [row for row in state_dict(current) if row["status"] != "unknown"]
    records = [record_dict(r) for r in ledger]
    suppressions = core.suppressions.of_phone(me.actor, phone.id)
    return {"phone": phone, "state": state, "records": records, "suppressions": suppressions}


def _phone(person: ContactOut, phone_id: str) -> PhoneOut:
    for phone in person.phones:
        if phone.id == phone_id:
            return phone
    raise NotFound(f"the contact has no number with id {phone_id!r}", field="phone")


def _download(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', **_NO_STORE}


def when(value: dt.datetime | str | None) -> str:
    """A timestamp as people read it (UTC)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
