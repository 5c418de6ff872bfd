"""The dashboard: contacts, who may be messaged now, opt-outs, registry freshness, backups.

Every number comes from a core service with the signed-in user as the actor; a card the role
may not see (the audit log for opt-outs, say) is left out rather than shown empty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from phonelist.api.deps import CoreDep
from phonelist.audit.service import AuditFilter
from phonelist.clock import utcnow
from phonelist.core import Phonelist
from phonelist.policy.facts import PURPOSES
from phonelist.security.permissions import Actor, Permission
from phonelist.suppression.registry import AreaStatus
from phonelist.web.pages import render
from phonelist.web.session import PageUser

__all__ = ["ALL_CONTACTS", "router", "sendable_query"]

router = APIRouter(include_in_schema=False)

ALL_CONTACTS = "created is set"  # every contact has a creation time
OPT_OUT_WINDOW = dt.timedelta(days=7)
OPT_OUT_LIMIT = 1000  # shown as "1000+" beyond this


def sendable_query(purpose: str, channel: str = "sms") -> str:
    """The segment query for contacts the policy engine would let us message now."""
    return f"sendable.{channel}.{purpose} = yes"


@dataclass(frozen=True, slots=True)
class Sendable:
    purpose: str
    count: int
    query: str


@dataclass(frozen=True, slots=True)
class LastBackup:
    at: dt.datetime | None
    age_hours: float | None
    overdue: bool


@router.get("/dashboard", response_model=None)
def dashboard(request: Request, core: CoreDep, me: PageUser) -> Response:
    actor, now = me.actor, utcnow()
    context: dict[str, object] = {
        "me": me,
        "now": now,
        "contacts": core.segments.count(actor, ALL_CONTACTS).count,
        "sendable": [
            Sendable(
                p, core.segments.count(actor, sendable_query(p), at=now).count, sendable_query(p)
            )
            for p in PURPOSES
        ],
        "opt_outs": _opt_outs(core, actor, now) if actor.can(Permission.AUDIT_READ) else None,
        "registries": _registries(core, actor, now),
        "backup": _last_backup(core, now) if actor.can(Permission.USERS_MANAGE) else None,
    }
    return render(request, "dashboard/index.html", context)


def _opt_outs(core: Phonelist, actor: Actor, now: dt.datetime) -> str:
    """Opt-outs (consent revoked: STOP replies, agents, forms) in the last seven days."""
    since = AuditFilter(action="consent.revoke", since=now - OPT_OUT_WINDOW)
    page = core.audit.events(actor, since, limit=OPT_OUT_LIMIT)
    return f"{len(page.items)}+" if page.next_cursor is not None else str(len(page.items))


def _registries(core: Phonelist, actor: Actor, now: dt.datetime) -> list[AreaStatus] | None:
    if not actor.can(Permission.CONSENT_READ):
        return None
    return core.registries.status(actor, at=now)


def _last_backup(core: Phonelist, now: dt.datetime) -> LastBackup:
    at = core.backups.newest_at()
    interval = core.settings.backup_interval_hours
    if at is None:
        return LastBackup(None, None, overdue=interval > 0)
    age = (now - at).total_seconds() / 3600
    return LastBackup(at, age, overdue=interval > 0 and age > 2 * interval)
