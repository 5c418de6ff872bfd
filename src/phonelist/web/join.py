"""The public opt-in form at /join/{slug}, its confirmation page and its preference page.

No sign-in: anyone may open these pages, so every POST is guarded (web/pumping.py) before
anything is stored or sent, and the core does the work (consent/forms.py).

CSRF: the form may be embedded in another site's page (CSP ``frame-ancestors`` names the
origins the form allows), where the session cookie (SameSite=Lax) is not sent. So these pages
set no cookie; each form carries a signed token instead, bound to the form, the step and the
visitor's IP address, valid two hours. A page on another site cannot read it (same-origin
policy), and one fetched by a bot's server is refused from any other address. The token's
time also shows how fast the form was filled: faster than a person types means a challenge.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from phonelist.api.deps import CoreDep
from phonelist.api.middleware import FRAME_ANCESTORS_HEADER
from phonelist.consent.forms import FormOut, FormService, require_ticked
from phonelist.core import Phonelist
from phonelist.errors import PhonelistError
from phonelist.web.pages import render
from phonelist.web.pumping import PumpingGuard, country_allowed, new_challenge

__all__ = ["TOKEN_MAX_AGE", "frame_ancestors", "router"]

router = APIRouter(include_in_schema=False)

TOKEN_MAX_AGE = 2 * 60 * 60
FormText = Annotated[str, Form()]
_SALT = "phonelist-join"


def frame_ancestors(form: FormOut | None) -> str:
    """Who may frame the page: this site and the form's embedding origins."""
    return " ".join(["'self'", *form.embed_origins]) if form else "'none'"


def _headers(form: FormOut | None) -> dict[str, str]:
    # api/middleware.py puts these sources in the CSP's frame-ancestors for /join/ pages (and
    # then sends no X-Frame-Options); every other page keeps frame-ancestors 'none'.
    return {FRAME_ANCESTORS_HEADER: frame_ancestors(form), "Cache-Control": "no-store"}


def _secret(core: Phonelist) -> bytes:
    return hmac.new(core.session_secret, b"join-form", hashlib.sha256).digest()


def _signer(core: Phonelist) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(core).hex(), salt=_SALT)


def _guard(request: Request, core: Phonelist) -> PumpingGuard:
    """The app's pumping guard, made on first use (one per app, so one per test client)."""
    guard = getattr(request.app.state, "join_guard", None)
    if not isinstance(guard, PumpingGuard):
        guard = request.app.state.join_guard = PumpingGuard(_secret(core))
    return guard


def _ip(request: Request) -> str:
    # The peer address; behind a proxy, run uvicorn with --forwarded-allow-ips (trusted
    # proxies only), which puts the client's address here (docs/optin-form.md).
    return request.client.host if request.client else "-"


def _ip_tag(core: Phonelist, ip: str) -> str:
    return hmac.new(_secret(core), f"ip:{ip}".encode(), hashlib.sha256).hexdigest()[:32]


def _answer_tag(core: Phonelist, nonce: str, answer: str) -> str:
    message = f"answer:{nonce}:{answer.strip()}".encode()
    return hmac.new(_secret(core), message, hashlib.sha256).hexdigest()[:32]


def _token(core: Phonelist, request: Request, form: FormOut, step: str, **extra: str) -> str:
    payload = {"f": form.id, "s": step, "ip": _ip_tag(core, _ip(request)), **extra}
    return str(_signer(core).dumps(payload))


def _read_token(
    core: Phonelist, request: Request, form: FormOut, step: str, token: str
) -> tuple[dict[str, Any], float] | None:
    """The token's payload and age in seconds, or None when it is not valid here and now."""
    try:
        payload, signed_at = _signer(core).loads(
            token, max_age=TOKEN_MAX_AGE, return_timestamp=True
        )
    except BadSignature:
        return None
    if not (
        isinstance(payload, dict)
        and payload.get("f") == form.id
        and payload.get("s") == step
        and payload.get("ip") == _ip_tag(core, _ip(request))
    ):
        return None
    return payload, time.time() - signed_at.timestamp()


def _render(
    request: Request,
    name: str,
    form: FormOut | None,
    context: dict[str, Any],
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render a public page. It sets no cookie: no session CSRF token, no flashes."""
    context = {"form": form, "csrf_token": "", "flashes": [], **context}
    return render(
        request,
        name,
        context,
        status_code=status_code,
        headers={**_headers(form), **(headers or {})},
    )


def _not_found(request: Request) -> Response:
    context = {"title": "Form not found", "message": "There is no form here."}
    return _render(request, "join/message.html", None, context, 404)


def _refused(request: Request, form: FormOut) -> Response:
    context = {
        "title": "Please reload the form",
        "message": "This form has expired or did not come from this site. "
        "Reload the page and try again.",
    }
    return _render(request, "join/message.html", form, context, 403)


def _source_url(request: Request) -> str:
    return str(request.url.replace(query=""))


# -- the form -------------------------------------------------------------------------------------
@router.get("/join/{slug}", response_model=None)
def join_form(request: Request, core: CoreDep, slug: str) -> Response:
    forms = FormService(core.consent, core.contacts)
    form = forms.public(slug)
    if form is None:
        return _not_found(request)
    challenge = _guard(request, core).needs_challenge(form.id, _ip(request), time.monotonic())
    return _form_page(request, core, forms, form, challenge=challenge)


def _form_page(
    request: Request,
    core: Phonelist,
    forms: FormService,
    form: FormOut,
    *,
    challenge: bool,
    values: dict[str, str] | None = None,
    error: PhonelistError | None = None,
    status_code: int = 200,
) -> Response:
    disclosure = forms.disclosure(form)
    extra = {"d": disclosure.id}
    question = None
    if challenge:
        asked = new_challenge()
        nonce = secrets.token_urlsafe(8)
        extra.update(n=nonce, a=_answer_tag(core, nonce, asked.answer))
        question = asked.question
    settings = core.settings
    context = {
        "disclosure": disclosure,
        "program": settings.program_name,
        "frequency": settings.message_frequency,
        "support": settings.support_contact,
        "token": _token(core, request, form, "submit", **extra),
        "question": question,
        "values": values or {"number": "", "name": ""},
        "error": error.message if error else None,
        "error_field": error.field if error else None,
    }
    return _render(request, "join/form.html", form, context, status_code)


@router.post("/join/{slug}", response_model=None)
def join_submit(
    request: Request,
    core: CoreDep,
    slug: str,
    number: FormText = "",
    name: FormText = "",
    agree: FormText = "",
    website: FormText = "",  # the honeypot: hidden from people, filled by bots
    answer: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    forms = FormService(core.consent, core.contacts)
    form = forms.public(slug)
    if form is None:
        return _not_found(request)
    checked = _read_token(core, request, form, "submit", csrf_token)
    if checked is None:
        return _refused(request, form)
    payload, age = checked
    guard, ip, now = _guard(request, core), _ip(request), time.monotonic()
    values = {"number": number[:64], "name": name[:200]}

    def again(error: PhonelistError, status: int, *, challenge: bool = False) -> Response:
        return _form_page(
            request,
            core,
            forms,
            form,
            challenge=challenge or guard.needs_challenge(form.id, ip, now),
            values=values,
            error=error,
            status_code=status,
        )

    needs_challenge = guard.needs_challenge(form.id, ip, now)
    verdict = guard.hit(form.id, ip, now)
    if not verdict.allowed:
        return _too_many(request, form, verdict.retry_after)
    if website.strip():
        return again(PhonelistError("This form could not be sent.", field="form"), 400)
    if needs_challenge or age < guard.limits.min_fill_seconds:
        nonce, tag = payload.get("n"), payload.get("a")
        if not (
            isinstance(nonce, str)
            and isinstance(tag, str)
            and hmac.compare_digest(_answer_tag(core, nonce, answer), tag)
        ):
            problem = PhonelistError("Please answer the question below.", field="answer")
            return again(problem, 422, challenge=True)
    try:
        require_ticked(agree == "yes")  # C4: first, before the number is even looked at
        e164 = forms.e164(form, number)
        if not country_allowed(e164, form.allowed_countries):
            raise PhonelistError(
                "This form only accepts numbers from: " + ", ".join(form.allowed_countries),
                field="number",
            )
        limited = guard.check_number(e164, now)
        if not limited.allowed:
            return _too_many(request, form, limited.retry_after)
        submitted = forms.submit(
            form,
            number,
            name=name,
            disclosure_id=str(payload.get("d") or ""),
            ticked=agree == "yes",
            ip=ip,
            user_agent=request.headers.get("user-agent"),
            source_url=_source_url(request),
        )
    except PhonelistError as exc:
        return again(exc, 422)
    guard.sent(submitted.e164, now)
    ticket = _signer(core).dumps({"r": submitted.request_id, "f": form.id})
    return RedirectResponse(f"/join/{form.slug}/confirm?t={ticket}", status_code=303)


def _too_many(request: Request, form: FormOut, retry_after: int) -> Response:
    minutes = max(1, retry_after // 60)
    context = {
        "title": "Too many attempts",
        "message": f"Too many attempts. Please try again in {minutes} minutes.",
    }
    headers = {"Retry-After": str(retry_after)}
    return _render(request, "join/message.html", form, context, 429, headers)


# -- the confirmation ------------------------------------------------------------------------------
def _ticket(core: Phonelist, form: FormOut, ticket: str) -> str | None:
    try:
        payload = _signer(core).loads(ticket, max_age=7 * 24 * 60 * 60)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("f") != form.id:
        return None
    request_id = payload.get("r")
    return request_id if isinstance(request_id, str) else None


@router.get("/join/{slug}/confirm", response_model=None)
def confirm_page(request: Request, core: CoreDep, slug: str, t: str = "") -> Response:
    forms = FormService(core.consent, core.contacts)
    form = forms.public(slug)
    if form is None:
        return _not_found(request)
    request_id = _ticket(core, form, t)
    if request_id is None:
        return _not_found(request)
    return _confirm_page(request, core, forms, form, t, request_id)


def _confirm_page(
    request: Request,
    core: Phonelist,
    forms: FormService,
    form: FormOut,
    ticket: str,
    request_id: str,
    *,
    error: PhonelistError | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "program": core.settings.program_name,
        "status": forms.status(form, request_id) or "expired",
        "ticket": ticket,
        "token": _token(core, request, form, "confirm"),
        "error": error.message if error else None,
    }
    return _render(request, "join/confirm.html", form, context, status_code)


@router.post("/join/{slug}/confirm", response_model=None)
def confirm_code(
    request: Request,
    core: CoreDep,
    slug: str,
    t: FormText = "",
    code: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    forms = FormService(core.consent, core.contacts)
    form = forms.public(slug)
    if form is None:
        return _not_found(request)
    request_id = _ticket(core, form, t)
    if request_id is None:
        return _not_found(request)
    if _read_token(core, request, form, "confirm", csrf_token) is None:
        return _refused(request, form)
    verdict = _guard(request, core).hit(form.id, _ip(request), time.monotonic())
    if not verdict.allowed:
        return _too_many(request, form, verdict.retry_after)
    try:
        forms.confirm_code(form, request_id, code[:20])
    except PhonelistError as exc:
        return _confirm_page(request, core, forms, form, t, request_id, error=exc, status_code=422)
    return RedirectResponse(f"/join/{form.slug}/confirm?t={t}", status_code=303)


# -- the preference page (C6) ---------------------------------------------------------------------
@router.get("/join/{slug}/preferences", response_model=None)
def preferences(request: Request, core: CoreDep, slug: str) -> Response:
    forms = FormService(core.consent, core.contacts)
    form = forms.public(slug)
    if form is None:
        return _not_found(request)
    return _preferences_page(request, core, form)


def _preferences_page(
    request: Request,
    core: Phonelist,
    form: FormOut,
    *,
    number: str = "",
    done: bool = False,
    error: PhonelistError | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "program": core.settings.program_name,
        "token": _token(core, request, form, "preferences"),
        "number": number,
        "done": done,
        "error": error.message if error else None,
    }
    return _render(request, "join/preferences.html", form, context, status_code)


@router.post("/join/{slug}/preferences", response_model=None)
def opt_out(
    request: Request, core: CoreDep, slug: str, number: FormText = "", csrf_token: FormText = ""
) -> Response:
    """One click, no code: opting out must be as easy as opting in (C6); docs/optin-form.md."""
    forms = FormService(core.consent, core.contacts)
    form = forms.public(slug)
    if form is None:
        return _not_found(request)
    if _read_token(core, request, form, "preferences", csrf_token) is None:
        return _refused(request, form)
    verdict = _guard(request, core).hit(form.id, _ip(request), time.monotonic())
    if not verdict.allowed:
        return _too_many(request, form, verdict.retry_after)
    try:
        forms.opt_out(form, number[:64], source_url=_source_url(request))
    except PhonelistError as exc:
        return _preferences_page(
            request, core, form, number=number[:64], error=exc, status_code=422
        )
    return _preferences_page(request, core, form, done=True)
