"""/healthz (the process answers) and /readyz (the database answers, schema at head)."""

from __future__ import annotations

from fastapi import APIRouter

from phonelist.api.deps import CoreDep
from phonelist.errors import StoreError
from phonelist.store.migrate import current_revision, head_revision

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(core: CoreDep) -> dict[str, str]:
    """503 (code ``store_unavailable`` or ``not_ready``) when the database cannot serve."""
    with core.store.read():  # the store's boundary turns driver errors into StoreError
        current = current_revision(core.store.engine)
    if current != head_revision():
        raise StoreError(
            "the database schema is not current: run 'phonelist init'", code="not_ready"
        )
    return {"status": "ok"}
