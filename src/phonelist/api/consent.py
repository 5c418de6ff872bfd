"""/api/v1/consent, /inbound and /provider-signals: record consent and opt-outs, and prove them.

IP address and user agent of a consent are what the caller says the *consenting person* used
(fields ``ip`` and ``user_agent``), never taken from the API request itself: the caller is a
server or an integration, not the person (C2).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import StringConstraints as Length

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.policy import (
    Instant,
    Language,
    Line,
    LongLine,
    Number,
    NumberPath,
    Ref,
    SuppressionBody,
    Word,
)
from phonelist.api.routing import api_router
from phonelist.clock import utcnow
from phonelist.consent.commands import Grant, RequestOptIn, Revoke
from phonelist.consent.evidence import (
    build_evidence,
    current_state,
    render_evidence,
    state_dict,
    verify_ledger,
)
from phonelist.consent.inbound import MAX_TEXT
from phonelist.consent.service import Outcome
from phonelist.contacts.schemas import multiline_text

__all__ = ["router"]

router = api_router()

_STRICT = ConfigDict(extra="forbid", strict=True)
Message = Annotated[str, Length(min_length=1, max_length=MAX_TEXT), AfterValidator(multiline_text)]
DisclosureText = Annotated[
    str, Length(min_length=1, max_length=20_000), AfterValidator(multiline_text)
]
IpAddress = Annotated[str, Length(min_length=1, max_length=64)]


# -- bodies ---------------------------------------------------------------------------------------
class GrantIn(BaseModel):
    """Consent with its evidence (C2). ``ip``/``user_agent`` are the consenting person's."""

    model_config = _STRICT
    number: Number
    channel: Word = Field(description="sms or voice")
    purpose: Word = Field(description="marketing or informational")
    method: Word = Field(
        description="web_form, keyword, double_opt_in, verbal, paper, import, api, soft_opt_in, "
        "casl_implied_purchase or casl_implied_inquiry"
    )
    occurred_at: Instant | None = Field(default=None, description="When given; now if null")
    sender: Ref | None = Field(default=None, description="The brand or sender it names")
    disclosure: Ref | None = Field(
        default=None, description="The disclosure shown: its id, or its name (newest version)"
    )
    affirmative_action: Line | None = Field(default=None, description="What the person did")
    checkbox_prechecked: bool = Field(default=False, description="true is refused (C4)")
    condition_of_purchase: bool = Field(default=False, description="true is refused (C4)")
    language: Language | None = None
    source_url: LongLine | None = None
    form_id: Ref | None = None
    ip: IpAddress | None = Field(default=None, description="The consenting person's IP address")
    user_agent: LongLine | None = Field(default=None, description="The person's browser")
    evidence_ref: LongLine | None = Field(default=None, description="A file or recording")
    evidence: dict[str, Any] = Field(
        default_factory=dict, description="Free facts, e.g. C7's obtained_in_sale: true"
    )


class RevokeIn(BaseModel):
    model_config = _STRICT
    number: Number
    method: Word = Field(default="api", description="How the opt-out arrived")
    occurred_at: Instant | None = None
    affirmative_action: Line | None = None
    evidence_ref: LongLine | None = None
    scope: Word = Field(
        default="all",
        description='"all" (O3); "one" with channel and purpose only when the workspace\'s '
        "revocation_scope is purpose",
    )
    channel: Word | None = None
    purpose: Word | None = None


class OptInRequestIn(BaseModel):
    """Start a double opt-in (C3): a request with no marketing goes out; YES confirms it."""

    model_config = _STRICT
    number: Number
    purposes: list[Word] = Field(default_factory=lambda: ["marketing"], min_length=1, max_length=2)
    channel: Word = "sms"
    method: Word = Field(default="web_form", description="How the person asked (the first step)")
    disclosure: Ref | None = None
    sender: Ref | None = None
    source_url: LongLine | None = None
    form_id: Ref | None = None
    ip: IpAddress | None = None
    user_agent: LongLine | None = None
    language: Language | None = None
    checkbox_prechecked: bool = False
    condition_of_purchase: bool = False


class DisclosureIn(BaseModel):
    model_config = _STRICT
    name: Ref
    text: DisclosureText
    language: Language | None = None
    automated_marketing: bool = Field(
        default=False, description="The text says the person agrees to automated marketing (C1)"
    )
    not_condition_of_purchase: bool = Field(
        default=False, description="The text says consent is not a condition of purchase (C1)"
    )


class ResolveIn(BaseModel):
    model_config = _STRICT
    resolution: Word = Field(description="opt_out or not_opt_out")


class InboundIn(BaseModel):
    model_config = _STRICT
    from_: Number = Field(alias="from", description="Who sent the message")
    text: Message
    to: Ref | None = Field(default=None, description="The workspace's number it was sent to")
    at: Instant | None = Field(default=None, description="When it was received; now if null")
    language: Language | None = None


class ProviderSignalIn(BaseModel):
    model_config = _STRICT
    number: Number
    code: Word = Field(description='The provider\'s error code, e.g. Twilio "21610"')
    at: Instant | None = None


# -- answers --------------------------------------------------------------------------------------
class OutcomeBody(BaseModel):
    number: str
    record_ids: list[str] = Field(description="The ledger records written")
    request_id: str | None = Field(default=None, description="The double opt-in request opened")

    @classmethod
    def of(cls, outcome: Outcome) -> OutcomeBody:
        return cls(
            number=outcome.e164,
            record_ids=list(outcome.record_ids),
            request_id=outcome.request_id,
        )


class StateBody(BaseModel):
    channel: str
    purpose: str
    status: str = Field(description="unknown, granted, revoked or pending")
    method: str | None = None
    written: bool = Field(default=False, description="Prior express written consent (C1)")
    sender: str | None = None
    since: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    evidence: list[str] = Field(default_factory=list)
    record_id: str | None = Field(default=None, description="The record that set this status")


class ConsentBody(BaseModel):
    number: str
    consents: list[StateBody]
    suppressions: list[SuppressionBody] = Field(description="Active entries only")


class RecordBody(BaseModel):
    """One ledger record. IP and user agent are in the evidence pack, not here."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    seq: int | None
    action: str
    channel: str
    purpose: str
    scope: str
    method: str
    sender: str | None
    occurred_at: dt.datetime | None
    recorded_at: dt.datetime
    affirmative_action: str | None
    written: bool
    disclosure_id: str | None
    disclosure_version: str | None
    disclosure_hash: str | None
    language: str | None
    source_url: str | None
    form_id: str | None
    evidence_ref: str | None
    evidence: dict[str, Any]
    expires_at: dt.datetime | None
    basis: str | None
    import_job_id: str | None
    actor: str
    hash: str | None


class VerifyBody(BaseModel):
    ok: bool
    records: int
    problems: list[str]


class DisclosureBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    version: int
    sha256: str
    language: str | None
    automated_marketing: bool
    not_condition_of_purchase: bool
    created_at: dt.datetime
    text: str


class ReviewBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    message_id: str
    keyword: str | None
    received_at: dt.datetime
    due_at: dt.datetime = Field(description="10 US business days after receipt (O2, O4)")
    policy: str
    status: str
    resolution: str | None


class SignalBody(BaseModel):
    suppression: SuppressionBody | None = Field(
        description="The entry the signal made or found; null when the code is not an opt-out"
    )


# -- writes ---------------------------------------------------------------------------------------
@router.post("/consent/grants", status_code=201, response_model=OutcomeBody, tags=["consent"])
def grant(body: GrantIn, core: CoreDep, actor: ActorDep) -> OutcomeBody:
    """Record consent. Pre-checked or bundled consent is refused (C4)."""
    command = Grant(
        number=body.number,
        channel=body.channel,
        purpose=body.purpose,
        method=body.method,
        occurred_at=body.occurred_at,
        sender=body.sender,
        disclosure=body.disclosure,
        affirmative_action=body.affirmative_action,
        checkbox_prechecked=body.checkbox_prechecked,
        condition_of_purchase=body.condition_of_purchase,
        language=body.language,
        source_url=body.source_url,
        form_id=body.form_id,
        ip=body.ip,
        user_agent=body.user_agent,
        evidence_ref=body.evidence_ref,
        evidence=body.evidence,
    )
    return OutcomeBody.of(core.consent.apply(actor, command))


@router.post("/consent/revocations", status_code=201, response_model=OutcomeBody, tags=["consent"])
def revoke(body: RevokeIn, core: CoreDep, actor: ActorDep) -> OutcomeBody:
    """Record an opt-out: by default every channel and purpose, from every sender (O3)."""
    command = Revoke(
        number=body.number,
        method=body.method,
        occurred_at=body.occurred_at,
        channel=body.channel,
        purpose=body.purpose,
        affirmative_action=body.affirmative_action,
        evidence_ref=body.evidence_ref,
        scope=body.scope,
    )
    return OutcomeBody.of(core.consent.apply(actor, command))


@router.post("/consent/requests", status_code=201, response_model=OutcomeBody, tags=["consent"])
def request_opt_in(body: OptInRequestIn, core: CoreDep, actor: ActorDep) -> OutcomeBody:
    """Send a double opt-in request; the consent is active once YES arrives (POST /inbound)."""
    command = RequestOptIn(
        number=body.number,
        purposes=tuple(body.purposes),
        channel=body.channel,
        method=body.method,
        disclosure=body.disclosure,
        sender=body.sender,
        source_url=body.source_url,
        form_id=body.form_id,
        ip=body.ip,
        user_agent=body.user_agent,
        language=body.language,
        checkbox_prechecked=body.checkbox_prechecked,
        condition_of_purchase=body.condition_of_purchase,
    )
    return OutcomeBody.of(core.consent.apply(actor, command))


@router.post("/consent/verify", response_model=VerifyBody, tags=["consent"])
def verify(core: CoreDep, actor: ActorDep) -> VerifyBody:
    """Walk the workspace's hash chain: any edited, deleted or reordered record is a problem."""
    report = verify_ledger(core.consent, actor)
    return VerifyBody(ok=report.ok, records=report.records, problems=list(report.problems))


# -- disclosures and the review queue -------------------------------------------------------------
@router.get("/consent/disclosures", response_model=list[DisclosureBody], tags=["consent"])
def list_disclosures(core: CoreDep, actor: ActorDep) -> list[DisclosureBody]:
    return [DisclosureBody.model_validate(d) for d in core.consent.disclosures(actor)]


@router.post(
    "/consent/disclosures", status_code=201, response_model=DisclosureBody, tags=["consent"]
)
def add_disclosure(body: DisclosureIn, core: CoreDep, actor: ActorDep) -> DisclosureBody:
    """Register a new version of a disclosure text; versions are never changed."""
    added = core.consent.add_disclosure(
        actor,
        body.name,
        body.text,
        language=body.language,
        automated_marketing=body.automated_marketing,
        not_condition_of_purchase=body.not_condition_of_purchase,
    )
    return DisclosureBody.model_validate(added)


@router.get("/consent/reviews", response_model=list[ReviewBody], tags=["consent"])
def list_reviews(
    core: CoreDep,
    actor: ActorDep,
    status: Annotated[str, Query(max_length=16, description="open or resolved")] = "open",
) -> list[ReviewBody]:
    """Ambiguous replies (O2), the nearest deadline first."""
    return [ReviewBody.model_validate(r) for r in core.inbound.reviews(actor, status=status)]


@router.post("/consent/reviews/{review_id}/resolve", response_model=ReviewBody, tags=["consent"])
def resolve_review(review_id: str, body: ResolveIn, core: CoreDep, actor: ActorDep) -> ReviewBody:
    """Close a review; an opt-out already applied stays (only a new opt-in undoes it)."""
    return ReviewBody.model_validate(core.inbound.resolve(actor, review_id, body.resolution))


# -- one number (after the fixed paths above, which "{number}" would otherwise match) -----------
@router.get("/consent/{number}", response_model=ConsentBody, tags=["consent"])
def consent_state(number: NumberPath, core: CoreDep, actor: ActorDep) -> ConsentBody:
    """The number's consent per channel and purpose, and its active suppressions."""
    e164 = core.consent.e164(number)
    state = state_dict(current_state(core.consent, actor, e164))
    active = [s for s in core.suppressions.show(actor, e164) if s.active]
    return ConsentBody(
        number=e164,
        consents=[StateBody.model_validate(row) for row in state],
        suppressions=[SuppressionBody.model_validate(s) for s in active],
    )


@router.get("/consent/{number}/history", response_model=list[RecordBody], tags=["consent"])
def consent_history(number: NumberPath, core: CoreDep, actor: ActorDep) -> list[RecordBody]:
    """Every ledger record of the number, in ledger order."""
    return [RecordBody.model_validate(r) for r in core.consent.records(actor, number)]


@router.get(
    "/consent/{number}/evidence",
    tags=["consent"],
    responses={200: {"content": {"application/json": {}, "text/markdown": {}}}},
)
def consent_evidence(
    number: NumberPath,
    core: CoreDep,
    actor: ActorDep,
    output: Annotated[Literal["json", "markdown"], Query(alias="format")] = "json",
) -> Response:
    """The proof pack of one number (audited): every record with its C2 fields, IP and user
    agent opened, the disclosures shown, suppressions, state and a verification of the chain."""
    pack = build_evidence(core.consent, actor, number, utcnow(), keywords=core.keywords)
    if output == "markdown":
        return Response(render_evidence(pack), media_type="text/markdown; charset=utf-8")
    return JSONResponse(pack)


# -- signals from outside: replies and provider errors -------------------------------------------
@router.post("/inbound", tags=["inbound"])
def inbound(body: InboundIn, core: CoreDep, actor: ActorDep) -> dict[str, object]:
    """Process one inbound message exactly as the provider webhook will (O1-O6, C3)."""
    result = core.inbound.handle(
        actor, body.from_, body.text, to=body.to, at=body.at, language=body.language
    )
    return result.as_dict()


@router.post("/provider-signals", response_model=SignalBody, tags=["inbound"])
def provider_signal(body: ProviderSignalIn, core: CoreDep, actor: ActorDep) -> SignalBody:
    """A provider error meaning "recipient opted out" suppresses and revokes (O7)."""
    entry = core.suppressions.provider_signal(actor, body.number, body.code, body.at)
    return SignalBody(suppression=SuppressionBody.model_validate(entry) if entry else None)
