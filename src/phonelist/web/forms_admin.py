"""Settings → consent texts and forms: the public opt-in forms and their versioned texts.

Signed in, ``consent.manage`` (owners and admins; the core checks it too). A consent text
(disclosure) is never changed: editing a form's text registers a new version, and the form
shows the newest one from then on; the records of people who signed up keep the version they
saw (C2).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from phonelist.api.deps import CoreDep
from phonelist.consent.forms import FormIn, FormOut, FormService, validated
from phonelist.consent.service import DisclosureOut
from phonelist.core import Phonelist
from phonelist.errors import PermissionDenied, PhonelistError
from phonelist.security.permissions import Permission
from phonelist.web.pages import render
from phonelist.web.session import PageUser, SignedIn, check_csrf, flash

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]


def _require(me: SignedIn) -> None:
    if not me.actor.can(Permission.CONSENT_MANAGE):
        raise PermissionDenied("consent texts and forms are for owners and admins")


def _newest(disclosures: list[DisclosureOut]) -> dict[str, DisclosureOut]:
    newest: dict[str, DisclosureOut] = {}
    for item in disclosures:  # ordered by name, version
        newest[item.name] = item
    return newest


def _page(
    request: Request,
    core: Phonelist,
    me: SignedIn,
    *,
    editing: FormOut | None = None,
    values: dict[str, object] | None = None,
    error: PhonelistError | None = None,
    status_code: int = 200,
) -> Response:
    forms = FormService(core.consent, core.contacts)
    disclosures = core.consent.disclosures(me.actor)
    newest = _newest(disclosures)
    if values is None:
        values = _values(editing, newest)
    context = {
        "me": me,
        "forms": forms.forms(me.actor),
        "disclosures": disclosures,
        "editing": editing,
        "values": values,
        "error": error.message if error else None,
        "error_field": error.field if error else None,
        "base_url": str(request.base_url).rstrip("/"),
        "section": "forms",
    }
    template = "forms_admin/edit.html" if editing else "forms_admin/index.html"
    return render(request, template, context, status_code=status_code)


def _values(form: FormOut | None, newest: dict[str, DisclosureOut]) -> dict[str, object]:
    if form is None:
        return {
            "slug": "",
            "title": "",
            "list_name": "",
            "disclosure_name": "",
            "disclosure_text": "",
            "automated_marketing": True,
            "not_condition_of_purchase": True,
            "purposes": ["marketing"],
            "countries": "US",
            "origins": "",
            "active": True,
        }
    text = newest.get(form.disclosure_name)
    return {
        "slug": form.slug,
        "title": form.title,
        "list_name": form.list_name,
        "disclosure_name": form.disclosure_name,
        "disclosure_text": text.text if text else "",
        "automated_marketing": text.automated_marketing if text else True,
        "not_condition_of_purchase": text.not_condition_of_purchase if text else True,
        "purposes": list(form.purposes),
        "countries": ", ".join(form.allowed_countries),
        "origins": "\n".join(form.embed_origins),
        "active": form.active,
    }


@router.get("/settings/forms", response_model=None)
def forms_page(request: Request, core: CoreDep, me: PageUser) -> Response:
    _require(me)
    return _page(request, core, me)


@router.get("/settings/forms/{form_id}", response_model=None)
def form_page(request: Request, core: CoreDep, me: PageUser, form_id: str) -> Response:
    _require(me)
    form = FormService(core.consent, core.contacts).get(me.actor, form_id)
    return _page(request, core, me, editing=form)


@router.post("/settings/forms", response_model=None)
def create_form(
    request: Request,
    core: CoreDep,
    me: PageUser,
    csrf_token: FormText = "",
    slug: FormText = "",
    title: FormText = "",
    list_name: FormText = "",
    disclosure_name: FormText = "",
    disclosure_text: FormText = "",
    automated_marketing: FormText = "",
    not_condition_of_purchase: FormText = "",
    purposes: FormList | None = None,
    countries: FormText = "",
    origins: FormText = "",
    active: FormText = "",
) -> Response:
    return _save(request, core, me, None, locals())


@router.post("/settings/forms/{form_id}", response_model=None)
def update_form(
    request: Request,
    core: CoreDep,
    me: PageUser,
    form_id: str,
    csrf_token: FormText = "",
    slug: FormText = "",
    title: FormText = "",
    list_name: FormText = "",
    disclosure_name: FormText = "",
    disclosure_text: FormText = "",
    automated_marketing: FormText = "",
    not_condition_of_purchase: FormText = "",
    purposes: FormList | None = None,
    countries: FormText = "",
    origins: FormText = "",
    active: FormText = "",
) -> Response:
    return _save(request, core, me, form_id, locals())


def _save(
    request: Request, core: Phonelist, me: SignedIn, form_id: str | None, given: dict[str, Any]
) -> Response:
    check_csrf(request, str(given["csrf_token"]))
    _require(me)
    forms = FormService(core.consent, core.contacts)
    editing = forms.get(me.actor, form_id) if form_id else None
    values: dict[str, Any] = {
        "slug": str(given["slug"]),
        "title": str(given["title"]),
        "list_name": str(given["list_name"]),
        "disclosure_name": str(given["disclosure_name"]).strip(),
        "disclosure_text": str(given["disclosure_text"]).replace("\r\n", "\n").strip(),
        "automated_marketing": given["automated_marketing"] == "yes",
        "not_condition_of_purchase": given["not_condition_of_purchase"] == "yes",
        "purposes": list(given["purposes"] or []),
        "countries": str(given["countries"]),
        "origins": str(given["origins"]),
        "active": given["active"] == "yes",
    }
    try:
        data = validated(
            FormIn(
                slug=str(values["slug"]),
                title=str(values["title"]),
                list_name=str(values["list_name"]),
                disclosure_name=str(values["disclosure_name"]),
                purposes=tuple(values["purposes"]),
                allowed_countries=tuple(str(values["countries"]).replace(",", " ").split()),
                embed_origins=tuple(str(values["origins"]).split()),
                active=bool(values["active"]),
            )
        )
        _new_version_if_changed(core, me, values)  # only once the form itself is valid
        saved = forms.save(me.actor, data, form_id)
    except PhonelistError as exc:
        return _page(request, core, me, editing=editing, values=values, error=exc, status_code=422)
    flash(request, f"Form /join/{saved.slug} saved")
    return RedirectResponse(f"/settings/forms/{saved.id}", status_code=303)


def _new_version_if_changed(core: Phonelist, me: SignedIn, values: dict[str, object]) -> None:
    """A changed text (or C1 flags) registers a new version; an unchanged one registers none."""
    name, text = str(values["disclosure_name"]), str(values["disclosure_text"])
    if not text:
        return  # the form shows the newest version already registered under the name
    current = _newest(core.consent.disclosures(me.actor)).get(name)
    flags = (bool(values["automated_marketing"]), bool(values["not_condition_of_purchase"]))
    if (
        current is not None
        and current.text == text
        and (current.automated_marketing, current.not_condition_of_purchase) == flags
    ):
        return
    core.consent.add_disclosure(
        me.actor,
        name,
        text,
        automated_marketing=flags[0],
        not_condition_of_purchase=flags[1],
    )


@router.post("/settings/consent-texts", response_model=None)
def add_text(
    request: Request,
    core: CoreDep,
    me: PageUser,
    csrf_token: FormText = "",
    name: FormText = "",
    text: FormText = "",
    automated_marketing: FormText = "",
    not_condition_of_purchase: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    _require(me)
    try:
        added = core.consent.add_disclosure(
            me.actor,
            name,
            text.replace("\r\n", "\n"),
            automated_marketing=automated_marketing == "yes",
            not_condition_of_purchase=not_condition_of_purchase == "yes",
        )
    except PhonelistError as exc:
        return _page(request, core, me, error=exc, status_code=422)
    flash(request, f"Consent text {added.name} version {added.version} added")
    return RedirectResponse("/settings/forms#texts", status_code=303)
