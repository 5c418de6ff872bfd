"""/api/v1/campaigns: compose, preview, approve, launch, pause, resume, cancel; statistics.

Permissions (docs/security.md): reading campaigns and their stats needs messages.read;
composing, previewing, launching, pausing and cancelling need campaigns.manage; approving
needs campaigns.approve; an emergency campaign needs campaigns.emergency for every change.
A launch of a marketing campaign above the approval threshold answers 202 with status
``awaiting_approval`` and queues nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict
from pydantic import StringConstraints as Length

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.policy import Instant, Line, Ref, Word
from phonelist.api.routing import api_router
from phonelist.campaigns import CampaignOut, Draft, Rendered
from phonelist.contacts.schemas import multiline_text
from phonelist.content.template import MAX_LENGTH

__all__ = ["router"]

router = api_router(tags=["campaigns"])

_STRICT = ConfigDict(extra="forbid", strict=True)
Body = Annotated[str, Length(min_length=1, max_length=MAX_LENGTH), AfterValidator(multiline_text)]
Audience = Annotated[str, Length(min_length=1, max_length=4_000), AfterValidator(multiline_text)]
Day = Annotated[dt.date, Strict(False)]
WallTime = Annotated[str, Length(min_length=5, max_length=5), Field(description="HH:MM, 24 h")]
Id = Annotated[str, Length(min_length=1, max_length=40)]


class CampaignIn(BaseModel):
    """A draft campaign. Omitted fields keep their defaults (on create) or values (on PATCH)."""

    model_config = _STRICT
    name: Ref | None = None
    body: Body | None = Field(
        default=None, description="The template: {first_name|there}, {custom.plan}"
    )
    purpose: Word | None = Field(default=None, description="marketing, informational, emergency")
    channel: Word | None = Field(default=None, description="sms")
    audience_kind: Word | None = Field(default=None, description="segment, list or query")
    audience: Audience | None = Field(
        default=None, description="A saved segment's name, a list's name, or a segment query"
    )
    schedule_kind: Word | None = Field(default=None, description="now, utc or local")
    send_at: Instant | None = Field(default=None, description="For utc: the instant")
    local_date: Day | None = Field(default=None, description="For local: the day (YYYY-MM-DD)")
    local_time: WallTime | None = Field(
        default=None, description="For local: HH:MM in each recipient's own time zone"
    )
    senders: list[Annotated[str, Length(min_length=1, max_length=32)]] | None = Field(
        default=None, max_length=20, description="Sender numbers; each recipient gets one"
    )
    rate_limit: Annotated[float, Strict(False)] | None = Field(
        default=None, gt=0, description="Messages per second"
    )
    emergency_reason: Line | None = Field(default=None, description="Required for emergency")

    def draft(self) -> Draft:
        return Draft(**self.model_dump())


class CampaignBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    body: str
    channel: str
    purpose: str
    audience_kind: str
    audience: str
    schedule_kind: str
    send_at: dt.datetime | None
    local_date: dt.date | None
    local_time: str | None
    senders: list[str]
    rate_limit: float | None
    status: str = Field(
        description="draft, awaiting_approval, approved, sending, paused, done, cancelled"
    )
    preview: dict[str, Any] = Field(description="Counts of the last preview or launch")
    emergency_reason: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    launched_by: str | None
    launched_at: dt.datetime | None
    finished_at: dt.datetime | None
    queued: int = Field(description="Messages of the campaign in the outbox")

    @classmethod
    def of(cls, campaign: CampaignOut) -> CampaignBody:
        return cls.model_validate(campaign)


class RenderedBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    contact_id: str
    to: str = Field(description="Masked for roles without contacts.numbers")
    text: str
    encoding: str
    segments: int
    characters: int
    added: list[str] = Field(description="opt_out_footer (M1), no_reply_notice (M2)")
    missing: list[str] = Field(description="Placeholders without a default the contact lacks")
    cost: float
    outcome: str = Field(description="send, deferred or excluded")
    category: str | None = Field(description="The exclusion, if any")
    not_before: dt.datetime | None
    reasons: list[dict[str, Any]]
    in_audience: bool

    @classmethod
    def of(cls, rendered: Rendered) -> RenderedBody:
        return cls.model_validate(rendered)


class LaunchBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    campaign_id: str
    status: str
    enqueued: int = Field(description="Messages added to the outbox by this call")
    queued: int = Field(description="Every message of the campaign in the outbox")
    needs_approval: bool
    preview: dict[str, Any]


class StatsBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    campaign_id: str
    status: str
    total: int
    by_state: dict[str, int]
    delivery_rate: float | None = Field(description="delivered / messages that left the outbox")
    opt_outs: int = Field(description="Recipients who revoked consent within the window")
    opt_out_window_hours: float
    segments: int
    cost_spent: float
    cost_estimate: float
    done: bool


CampaignPath = Annotated[str, Length(min_length=1, max_length=40)]


# -- routes ---------------------------------------------------------------------------------------
@router.post("/campaigns", response_model=CampaignBody, status_code=201)
def create_campaign(body: CampaignIn, core: CoreDep, actor: ActorDep) -> CampaignBody:
    """Compose a draft (campaigns.manage; emergency: campaigns.emergency and a reason)."""
    return CampaignBody.of(core.campaigns.create(actor, body.draft()))


@router.get("/campaigns", response_model=list[CampaignBody])
def list_campaigns(
    core: CoreDep,
    actor: ActorDep,
    status: Annotated[str | None, Query(max_length=20, description="Only this status")] = None,
) -> list[CampaignBody]:
    """Every campaign of the workspace, oldest first."""
    return [CampaignBody.of(c) for c in core.campaigns.all(actor, status=status)]


@router.get("/campaigns/{campaign_id}", response_model=CampaignBody)
def get_campaign(campaign_id: CampaignPath, core: CoreDep, actor: ActorDep) -> CampaignBody:
    return CampaignBody.of(core.campaigns.get(actor, campaign_id))


@router.patch("/campaigns/{campaign_id}", response_model=CampaignBody)
def update_campaign(
    campaign_id: CampaignPath, body: CampaignIn, core: CoreDep, actor: ActorDep
) -> CampaignBody:
    """Change a draft; a change voids an approval (the campaign goes back to draft)."""
    return CampaignBody.of(core.campaigns.update(actor, campaign_id, body.draft()))


@router.post("/campaigns/{campaign_id}/preview")
def preview_campaign(
    campaign_id: CampaignPath,
    core: CoreDep,
    actor: ActorDep,
    sample: Annotated[int, Query(ge=0, le=50, description="Rendered messages to show")] = 5,
) -> dict[str, Any]:
    """Audience size, every exclusion counted, deferrals, message encoding, segments, cost,
    and the messages of the first ``sample`` recipients (docs/campaigns.md, "Preview")."""
    preview = core.campaigns.preview(actor, campaign_id, sample=sample)
    return {
        **preview.summary,
        "samples": [RenderedBody.of(s).model_dump(mode="json") for s in preview.samples],
    }


@router.get("/campaigns/{campaign_id}/preview/{contact_id}", response_model=RenderedBody)
def preview_for_contact(
    campaign_id: CampaignPath, contact_id: Id, core: CoreDep, actor: ActorDep
) -> RenderedBody:
    """The campaign's message for one contact, and what the policy says about it now."""
    return RenderedBody.of(core.campaigns.preview_contact(actor, campaign_id, contact_id))


@router.post("/campaigns/{campaign_id}/approve", response_model=CampaignBody)
def approve_campaign(campaign_id: CampaignPath, core: CoreDep, actor: ActorDep) -> CampaignBody:
    """campaigns.approve; the creator may not approve their own campaign unless an owner."""
    return CampaignBody.of(core.campaigns.approve(actor, campaign_id))


@router.post("/campaigns/{campaign_id}/launch", response_model=LaunchBody)
def launch_campaign(
    campaign_id: CampaignPath, core: CoreDep, actor: ActorDep, response: Response
) -> LaunchBody:
    """Queue one message per recipient; repeating it adds only what is missing. 202 when the
    campaign must first be approved."""
    launched = core.campaigns.launch(actor, campaign_id)
    if launched.needs_approval:
        response.status_code = 202
    return LaunchBody.model_validate(launched)


@router.post("/campaigns/{campaign_id}/pause", response_model=CampaignBody)
def pause_campaign(campaign_id: CampaignPath, core: CoreDep, actor: ActorDep) -> CampaignBody:
    """Queued messages wait; the dispatcher claims none of them until resume."""
    return CampaignBody.of(core.campaigns.pause(actor, campaign_id))


@router.post("/campaigns/{campaign_id}/resume", response_model=CampaignBody)
def resume_campaign(campaign_id: CampaignPath, core: CoreDep, actor: ActorDep) -> CampaignBody:
    return CampaignBody.of(core.campaigns.resume(actor, campaign_id))


@router.post("/campaigns/{campaign_id}/cancel", response_model=CampaignBody)
def cancel_campaign(campaign_id: CampaignPath, core: CoreDep, actor: ActorDep) -> CampaignBody:
    """Stop for good: queued messages become cancelled; sent ones stay."""
    return CampaignBody.of(core.campaigns.cancel(actor, campaign_id))


@router.get("/campaigns/{campaign_id}/stats", response_model=StatsBody)
def campaign_stats(
    campaign_id: CampaignPath,
    core: CoreDep,
    actor: ActorDep,
    window_hours: Annotated[
        float, Query(gt=0, le=24 * 90, description="Opt-outs counted this long after launch")
    ] = 168,
) -> StatsBody:
    """Messages by state, delivery rate, opt-outs caused, segments and cost."""
    stats = core.campaigns.stats(actor, campaign_id, window=dt.timedelta(hours=window_hours))
    return StatsBody.model_validate(stats)
