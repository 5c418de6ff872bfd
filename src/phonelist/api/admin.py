"""/api/v1/fields and /api/v1/tokens: workspace set-up. Permissions are checked by the core."""

from __future__ import annotations

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.routing import api_router
from phonelist.api.schemas import (
    FieldIn,
    FieldOut,
    StatusesBody,
    TokenCreated,
    TokenIn,
    TokenOut,
)

__all__ = ["router"]

router = api_router()


@router.get("/fields", response_model=list[FieldOut], tags=["fields"])
def list_fields(core: CoreDep, actor: ActorDep) -> list[FieldOut]:
    return [FieldOut.of(d) for d in core.fields.all(actor)]


@router.post("/fields", status_code=201, response_model=FieldOut, tags=["fields"])
def define_field(body: FieldIn, core: CoreDep, actor: ActorDep) -> FieldOut:
    definition = core.fields.define(
        actor, body.name, body.type, choices=body.choices, sensitive=body.sensitive
    )
    return FieldOut.of(definition)


@router.get("/tokens", response_model=list[TokenOut], tags=["tokens"])
def list_tokens(core: CoreDep, actor: ActorDep) -> list[TokenOut]:
    return [TokenOut.of(info) for info in core.tokens.all(actor)]


@router.post("/tokens", status_code=201, response_model=TokenCreated, tags=["tokens"])
def create_token(body: TokenIn, core: CoreDep, actor: ActorDep) -> TokenCreated:
    """The secret is in this response only; it is stored as a hash."""
    info, secret = core.tokens.create(
        actor, body.name, body.role, expires_in_days=body.expires_in_days
    )
    return TokenCreated(**TokenOut.of(info).model_dump(), secret=secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut, tags=["tokens"])
def revoke_token(token_id: str, core: CoreDep, actor: ActorDep) -> TokenOut:
    """Revoke a token: it stops working at once, and stays listed with ``revoked_at``."""
    return TokenOut.of(core.tokens.revoke(actor, token_id))


@router.get("/statuses", response_model=StatusesBody, tags=["statuses"])
def list_statuses(core: CoreDep, actor: ActorDep) -> StatusesBody:
    """The workspace's contact statuses; new contacts get the first."""
    return StatusesBody(statuses=core.contacts.statuses(actor))


@router.put("/statuses", response_model=StatusesBody, tags=["statuses"])
def set_statuses(body: StatusesBody, core: CoreDep, actor: ActorDep) -> StatusesBody:
    """Replace the statuses; one still held by a contact cannot be removed (409)."""
    return StatusesBody(statuses=core.contacts.set_statuses(actor, body.statuses))
