"""What every API endpoint gets: the core, and the actor its bearer token stands for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from phonelist.core import Phonelist
from phonelist.security.permissions import Actor

__all__ = ["ActorDep", "CoreDep", "authenticated", "core_of"]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token, created with `phonelist tokens create` or POST /api/v1/tokens.",
)


def core_of(request: Request) -> Phonelist:
    core = request.app.state.core
    assert isinstance(core, Phonelist)
    return core


CoreDep = Annotated[Phonelist, Depends(core_of)]


def authenticated(
    core: CoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """``Authorization: Bearer <token>``; anything else is a 401 (raised by the core)."""
    return core.tokens.authenticate(credentials.credentials if credentials else None)


ActorDep = Annotated[Actor, Depends(authenticated)]
