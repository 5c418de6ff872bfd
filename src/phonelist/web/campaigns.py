"""The campaign pages: the list, compose (with a live character and segment counter), the audience
preview with its exclusions, approve, launch, pause, resume, cancel, and live progress.

Every page calls :class:`phonelist.campaigns.CampaignService` exactly as the API does; a core
error is shown next to the field it names. The counter asks the server
(``POST /web/api/campaigns/count``), which counts with the same template parser and footer
rules as a launch, so what the page says is what will be sent.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, fields
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from phonelist.api.deps import CoreDep
from phonelist.campaigns import EXCLUSIONS, CampaignOut, Draft, Rendered
from phonelist.campaigns.schemas import DEFERRABLE
from phonelist.content.template import MAX_LENGTH, Template, TemplateError, parse_template
from phonelist.core import Phonelist
from phonelist.errors import NotFound, PhonelistError, ValidationError
from phonelist.security.permissions import Actor, Permission
from phonelist.web.pages import render
from phonelist.web.session import PageUser, ScriptUser, SignedIn, check_csrf, csrf_token, flash

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
Id = Annotated[str, Path(min_length=1, max_length=40)]
NO_STORE = {"Cache-Control": "no-store"}
LIVE = ("approved", "sending", "paused")  # statuses whose numbers may still change
EXCLUSION_LABELS = {
    "no_number": "No phone number",
    "invalid_number": "Invalid number",
    "landline": "Landline (cannot receive SMS)",
    "suppressed": "Suppressed (do-not-contact, opt-out, reassigned, erased)",
    "registry": "On a Do Not Call registry",
    "no_consent": "No consent for this purpose",
    "no_time_zone": "Time zone unknown",
    "quiet_hours": "Quiet hours or holiday",
    "frequency_cap": "Frequency cap reached",
    "other": "Other reason (never sent)",
}
NOTICES = {
    "created": "The campaign was saved as a draft. Preview its audience before launching it.",
    "updated": "The campaign was saved.",
    "approved": "The campaign is approved; it can be launched.",
    "launched": "The campaign was launched: its messages are in the outbox.",
    "submitted": "The campaign needs approval before it can go; it is awaiting approval.",
    "paused": "The campaign is paused; its queued messages wait.",
    "resumed": "The campaign is sending again.",
    "cancelled": "The campaign is cancelled; its queued messages will not go.",
}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@dataclass(frozen=True, slots=True)
class Can:
    """What the signed-in user may do here (the core checks again)."""

    manage: bool
    approve: bool
    emergency: bool

    @classmethod
    def of(cls, actor: Actor) -> Can:
        return cls(
            manage=actor.can(Permission.CAMPAIGNS_MANAGE),
            approve=actor.can(Permission.CAMPAIGNS_APPROVE),
            emergency=actor.can(Permission.CAMPAIGNS_EMERGENCY),
        )


@dataclass(slots=True)
class ComposeForm:
    """The compose form's values as typed (strings), and the draft they make."""

    name: str = ""
    body: str = ""
    purpose: str = "informational"
    audience_kind: str = "segment"
    audience: str = ""
    schedule_kind: str = "now"
    send_at: str = ""  # datetime-local, read as UTC
    local_date: str = ""
    local_time: str = ""
    senders: str = ""  # comma-separated
    rate_limit: str = ""
    emergency_reason: str = ""

    @classmethod
    def of(cls, c: CampaignOut) -> ComposeForm:
        send_at = c.send_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M") if c.send_at else ""
        return cls(
            name=c.name,
            body=c.body,
            purpose=c.purpose,
            audience_kind=c.audience_kind,
            audience=c.audience,
            schedule_kind=c.schedule_kind,
            send_at=send_at,
            local_date=c.local_date.isoformat() if c.local_date else "",
            local_time=c.local_time or "",
            senders=", ".join(c.senders),
            rate_limit=f"{c.rate_limit:g}" if c.rate_limit is not None else "",
            emergency_reason=c.emergency_reason or "",
        )

    def draft(self) -> Draft:
        """The draft; raises ValidationError naming the field that cannot be read."""
        schedule = self.schedule_kind
        return Draft(
            name=self.name,
            body=self.body.replace("\r\n", "\n"),
            purpose=self.purpose,
            channel="sms",
            audience_kind=self.audience_kind,
            audience=self.audience.replace("\r\n", "\n"),
            schedule_kind=schedule,
            send_at=_instant(self.send_at) if schedule == "utc" else None,
            local_date=_day(self.local_date) if schedule == "local" else None,
            local_time=self.local_time.strip()[:5] if schedule == "local" else None,
            senders=[s.strip() for s in self.senders.split(",") if s.strip()],
            rate_limit=_rate(self.rate_limit),
            emergency_reason=self.emergency_reason if self.purpose == "emergency" else None,
        )


@dataclass(frozen=True, slots=True)
class Posted:
    form: ComposeForm
    csrf_token: str


def posted_form(
    name: FormText = "",
    body: FormText = "",
    purpose: FormText = "informational",
    audience_kind: FormText = "segment",
    audience: FormText = "",
    schedule_kind: FormText = "now",
    send_at: FormText = "",
    local_date: FormText = "",
    local_time: FormText = "",
    senders: FormText = "",
    rate_limit: FormText = "",
    emergency_reason: FormText = "",
    csrf_token: FormText = "",
) -> Posted:
    form = ComposeForm(
        name=name,
        body=body,
        purpose=purpose,
        audience_kind=audience_kind,
        audience=audience,
        schedule_kind=schedule_kind,
        send_at=send_at,
        local_date=local_date,
        local_time=local_time,
        senders=senders,
        rate_limit=rate_limit,
        emergency_reason=emergency_reason,
    )
    return Posted(form, csrf_token)


PostedForm = Annotated[Posted, Depends(posted_form)]


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        message = "give the send time as a date and time (UTC)"
        raise ValidationError(message, field="send_at") from exc
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValidationError("give the day as YYYY-MM-DD", field="local_date") from exc


def _rate(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValidationError("the rate limit must be a number (messages/s)", field="rate_limit")
    return value


# -- pages -----------------------------------------------------------------------------------------
@router.get("/campaigns", response_model=None)
def campaign_list(request: Request, core: CoreDep, me: PageUser) -> Response:
    campaigns = core.campaigns.all(me.actor)
    progress = {c.id: core.campaigns.stats(me.actor, c.id) for c in campaigns if c.launched_at}
    context = {"campaigns": campaigns[::-1], "progress": progress}
    return _page(request, me, "campaigns/list.html", context)


@router.get("/campaigns/new", response_model=None)
def new_campaign(request: Request, core: CoreDep, me: PageUser) -> Response:
    me.actor.require(Permission.CAMPAIGNS_MANAGE)
    return _compose(request, core, me, ComposeForm(), None)


@router.post("/campaigns/new", response_model=None)
def create_campaign(request: Request, core: CoreDep, me: PageUser, posted: PostedForm) -> Response:
    check_csrf(request, posted.csrf_token)
    try:
        created = core.campaigns.create(me.actor, posted.form.draft())
    except PhonelistError as exc:
        return _compose(request, core, me, posted.form, None, exc)
    flash(request, NOTICES["created"])
    return _see_other(f"/campaigns/{created.id}")


@router.get("/campaigns/{campaign_id}/edit", response_model=None)
def edit_campaign(request: Request, core: CoreDep, me: PageUser, campaign_id: Id) -> Response:
    campaign = _editable(core, me.actor, campaign_id)
    return _compose(request, core, me, ComposeForm.of(campaign), campaign)


@router.post("/campaigns/{campaign_id}/edit", response_model=None)
def update_campaign(
    request: Request, core: CoreDep, me: PageUser, campaign_id: Id, posted: PostedForm
) -> Response:
    check_csrf(request, posted.csrf_token)
    campaign = _editable(core, me.actor, campaign_id)
    try:
        core.campaigns.update(me.actor, campaign_id, posted.form.draft())
    except PhonelistError as exc:
        return _compose(request, core, me, posted.form, campaign, exc)
    flash(request, NOTICES["updated"])
    return _see_other(f"/campaigns/{campaign_id}")


@router.get("/campaigns/{campaign_id}", response_model=None)
def show_campaign(request: Request, core: CoreDep, me: PageUser, campaign_id: Id) -> Response:
    return _detail(request, core, me, campaign_id)


@router.get("/campaigns/{campaign_id}/preview", response_model=None)
def preview_again(campaign_id: Id) -> Response:
    """A reload of the preview's page shows the campaign (with the stored counts)."""
    return _see_other(f"/campaigns/{campaign_id}")


@router.post("/campaigns/{campaign_id}/preview", response_model=None)
def preview_campaign(
    request: Request, core: CoreDep, me: PageUser, campaign_id: Id, csrf_token: FormText = ""
) -> Response:
    """Run the preview now; show its counts and the first recipients' messages (not stored)."""
    check_csrf(request, csrf_token)
    try:
        preview = core.campaigns.preview(me.actor, campaign_id)
    except PhonelistError as exc:
        return _detail(request, core, me, campaign_id, error=exc)
    return _detail(request, core, me, campaign_id, samples=preview.samples)


def _lifecycle_route(step: str, notice: str) -> None:
    """``POST /campaigns/{id}/<step>``: a form with the CSRF token, then back to the campaign."""

    def act(
        request: Request, core: CoreDep, me: PageUser, campaign_id: Id, csrf_token: FormText = ""
    ) -> Response:
        check_csrf(request, csrf_token)
        try:
            result = getattr(core.campaigns, step)(me.actor, campaign_id)
        except PhonelistError as exc:
            return _detail(request, core, me, campaign_id, error=exc)
        submitted = step == "launch" and result.needs_approval
        flash(request, NOTICES["submitted" if submitted else notice])
        return _see_other(f"/campaigns/{campaign_id}")

    act.__name__ = f"{step}_campaign"
    router.add_api_route(
        f"/campaigns/{{campaign_id}}/{step}", act, methods=["POST"], response_model=None
    )


for _step, _notice in (
    ("approve", "approved"),
    ("launch", "launched"),
    ("pause", "paused"),
    ("resume", "resumed"),
    ("cancel", "cancelled"),
):
    _lifecycle_route(_step, _notice)


# -- JSON for the page scripts --------------------------------------------------------------------
class CountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(max_length=2 * MAX_LENGTH)
    purpose: str = Field(default="informational", max_length=20)
    senders: str = Field(default="", max_length=1000)


@router.post("/web/api/campaigns/count")
def count_message(core: CoreDep, me: ScriptUser, payload: CountIn) -> dict[str, Any]:
    """How the typed template goes out: encoding, characters, segments, the footer added.
    The session's CSRF token comes in the X-CSRF-Token header (checked by ScriptUser)."""
    me.actor.require(Permission.CAMPAIGNS_MANAGE)
    return message_count(core, me.actor, payload.body, payload.purpose, payload.senders)


@router.get("/web/api/campaigns/{campaign_id}/stats")
def live_stats(core: CoreDep, me: ScriptUser, campaign_id: Id) -> dict[str, Any]:
    """The campaign's counts by state, delivery rate and cost, for the live progress."""
    stats = core.campaigns.stats(me.actor, campaign_id)
    return {**stats.as_dict(), "waiting": _waiting(stats.by_state)}


def message_count(
    core: Phonelist, actor: Actor, body: str, purpose: str, senders: str
) -> dict[str, Any]:
    """The counter's answer. Placeholders count as their default (or nothing): each contact's
    own values change the length, which the preview counts per recipient."""
    custom = frozenset(d.name for d in core.fields.all(actor))
    text = body.replace("\r\n", "\n")
    try:
        template = parse_template(text, custom) if text.strip() else Template("", ())
    except TemplateError as exc:
        return {"ok": False, "error": {"message": exc.message, "position": exc.position}}
    one_way = [s.strip() for s in senders.split(",") if s.strip() in core.settings.one_way_senders]
    sender = one_way[0] if one_way else None
    rendered = template.render({})
    try:
        finished = core.campaigns.planner.render(purpose, template, {}, sender)
    except ValidationError as exc:
        return {"ok": False, "error": {"message": exc.message, "position": None}}
    return {
        "ok": True,
        **finished.count.as_dict(),
        "added": list(finished.added),
        "appended": finished.text[len(rendered.rstrip()) :].lstrip("\n"),
        "placeholders": list(template.fields),
    }


# -- helpers ---------------------------------------------------------------------------------------
def _editable(core: Phonelist, actor: Actor, campaign_id: str) -> CampaignOut:
    """The campaign to edit. An emergency one only for roles that may send one: the form
    offers the emergency purpose only to them, so anyone else would change it unseen."""
    actor.require(Permission.CAMPAIGNS_MANAGE)
    campaign = core.campaigns.get(actor, campaign_id)
    if campaign.purpose == "emergency":
        actor.require(Permission.CAMPAIGNS_EMERGENCY)
    return campaign


def _waiting(by_state: dict[str, int]) -> int:
    return by_state.get("queued", 0) + by_state.get("sending", 0)


def _page(
    request: Request,
    me: SignedIn,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    base = {"me": me, "csrf_token": csrf_token(request), "can": Can.of(me.actor)}
    return render(request, name, {**base, **context}, status_code=status_code, headers=NO_STORE)


def _compose(
    request: Request,
    core: Phonelist,
    me: SignedIn,
    form: ComposeForm,
    campaign: CampaignOut | None,
    exc: PhonelistError | None = None,
) -> Response:
    try:
        segments = [s.name for s in core.segments.all(me.actor)]
    except PhonelistError:
        segments = []
    field_names = {f.name for f in fields(ComposeForm)}
    error_field = exc.field if exc is not None and exc.field in field_names else None
    if exc is not None and exc.field == "sender":
        error_field = "senders"
    if isinstance(exc, NotFound) and exc.field == "name":  # no saved segment of that name
        error_field = "audience"
    context = {
        "form": form,
        "campaign": campaign,
        "segments": segments,
        "error": exc.message if exc is not None else None,
        "error_field": error_field,
        "count": message_count(core, me.actor, form.body, form.purpose, form.senders),
    }
    return _page(request, me, "campaigns/compose.html", context, exc.status if exc else 200)


def _detail(
    request: Request,
    core: Phonelist,
    me: SignedIn,
    campaign_id: str,
    *,
    samples: list[Rendered] | None = None,
    error: PhonelistError | None = None,
) -> Response:
    campaign = core.campaigns.get(me.actor, campaign_id)
    stats = core.campaigns.stats(me.actor, campaign_id)
    context = {
        "campaign": campaign,
        "stats": stats,
        "waiting": _waiting(stats.by_state),
        "live": campaign.status in LIVE,
        "preview": preview_view(campaign.preview),
        "samples": samples,
        "error": error.message if error is not None else None,
    }
    status = error.status if error is not None else 200
    return _page(request, me, "campaigns/detail.html", context, status)


def when(value: str | None) -> str:
    """An ISO instant as ``2026-06-10 18:00 UTC`` (the preview stores ISO strings)."""
    if not value:
        return ""
    instant = dt.datetime.fromisoformat(value)
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def preview_view(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The stored preview counts, shaped for the page: one row per exclusion category."""
    if not summary or "exclusions" not in summary:
        return None
    deferred = summary.get("deferred_until", {})
    rows = []
    for name in EXCLUSIONS:
        window = deferred.get(name)
        rows.append(
            {
                "name": name,
                "label": EXCLUSION_LABELS.get(name, name),
                "count": summary["exclusions"].get(name, 0),
                "outcome": "deferred" if name in DEFERRABLE else "excluded",
                "first": when(window["first"]) if window else "",
                "last": when(window["last"]) if window else "",
            }
        )
    message = summary.get("message", {})
    return {
        "at": when(summary.get("at")),
        "audience": summary.get("audience", 0),
        "send": summary.get("send", 0),
        "deferred": summary.get("deferred", 0),
        "excluded": summary.get("excluded", 0),
        "rows": rows,
        "first_send_at": when(summary.get("first_send_at")),
        "last_send_at": when(summary.get("last_send_at")),
        "encodings": message.get("encodings", {}),
        "segments": message.get("segments", 0),
        "max_segments": message.get("max_segments", 0),
        "missing": message.get("missing_fields", {}),
        "added": message.get("added", {}),
        "cost": summary.get("cost", 0.0),
        "needs_approval": bool(summary.get("needs_approval")),
        "rules_version": summary.get("rules_version", ""),
    }
