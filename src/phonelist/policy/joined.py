"""The bulk path's rows read from the source tables (the path before ``policy_facts``).

Per contact a look-up of its primary number, consent state, registry entries and line check,
and a join for suppressions. Slower (docs/benchmarks.md, "Policy decisions"); kept as the
reference that the trigger-kept table is tested and benchmarked against:
``decide_audience_joined`` must answer like ``PolicyService.decide_audience``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, literal, or_, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from phonelist.policy.audience import PT_OPTOUT, US_DNC, Raw, flags
from phonelist.policy.facts import CASL_IMPLIED, SOFT_OPT_IN, Decision
from phonelist.policy.rules import RuleSet
from phonelist.policy.service import PolicyService
from phonelist.security.permissions import Actor
from phonelist.store.consent_models import ConsentState, RegistryNumber
from phonelist.store.models import Contact, LineLookup, PhoneNumber, Suppression

__all__ = ["decide_audience_joined"]


def decide_audience_joined(
    service: PolicyService,
    actor: Actor,
    channel: str,
    purpose: str,
    at: dt.datetime,
    **options: Any,
) -> Iterator[tuple[str, Decision]]:
    """``service.decide_audience`` with rows joined from the source tables."""
    rules = service.rules

    def read(
        connection: Connection,
        workspace: int,
        channel: str,
        purpose: str,
        after: str,
        contact_ids: list[str] | None,
        limit: int,
    ) -> Sequence[Any]:
        query = _joined_query(workspace, channel, purpose, rules)
        if contact_ids is not None:
            query = query.where(Contact.id.in_(contact_ids))
        query = query.where(Contact.id > after).order_by(Contact.id).limit(limit)
        rows = connection.execute(query).all()
        if not rows:
            return rows
        kinds = _suppressions(connection, workspace, (after, rows[-1][0]))
        return [(*row, kinds.get(row[1], frozenset())) for row in rows]

    return service.decide_rows(actor, channel, purpose, at, read, **options)


def _joined_query(workspace: int, channel: str, purpose: str, rules: RuleSet) -> Any:
    registry, optout = rules.registry, rules.national_optout
    dnc = aliased(RegistryNumber)
    pt = aliased(RegistryNumber)
    registered = dnc.e164_index.is_not(None)
    expiring = or_(ConsentState.expires_at.is_not(None), ConsentState.method.in_(CASL_IMPLIED))
    return (
        select(
            Contact.id,
            PhoneNumber.e164_index,
            PhoneNumber.region,
            PhoneNumber.area_code,
            cast(PhoneNumber.time_zones, Text),
            Contact.time_zone,
            Contact.country,
            Contact.region,
            ConsentState.status,
            ConsentState.method,
            ConsentState.sender,
            case(
                (ConsentState.method == SOFT_OPT_IN, cast(ConsentState.evidence, Text)), else_=None
            ),
            type_coerce(case((expiring, ConsentState.since), else_=None), Raw()),
            type_coerce(ConsentState.expires_at, Raw()),
            type_coerce(case((registered, Contact.last_purchase_at), else_=None), Raw()),
            type_coerce(case((registered, Contact.last_inquiry_at), else_=None), Raw()),
            flags(
                written=ConsentState.written.is_(True),
                void=and_(
                    LineLookup.reassigned.is_(True),
                    func.date(ConsentState.since) <= LineLookup.reassigned_since,
                ),
                dnc=dnc.e164_index.is_not(None),
                pt=pt.e164_index.is_not(None),
                legal=Contact.legal_person.is_(True),
            ),
        )
        .join(
            PhoneNumber,
            and_(PhoneNumber.contact_id == Contact.id, PhoneNumber.is_primary.is_(True)),
        )
        .outerjoin(
            ConsentState,
            and_(
                ConsentState.workspace_id == workspace,
                ConsentState.e164_index == PhoneNumber.e164_index,
                ConsentState.channel == channel,
                ConsentState.purpose == purpose,
            ),
        )
        .outerjoin(
            LineLookup,
            and_(
                ConsentState.status.is_not(None),
                LineLookup.workspace_id == workspace,
                LineLookup.e164_index == PhoneNumber.e164_index,
            ),
        )
        .outerjoin(
            dnc,
            and_(
                literal(purpose == "marketing" and registry is not None),
                PhoneNumber.region.in_(sorted(registry.regions) if registry else []),
                dnc.workspace_id == workspace,
                dnc.registry_name == US_DNC,
                dnc.e164_index == PhoneNumber.e164_index,
            ),
        )
        .outerjoin(
            pt,
            and_(
                literal(purpose == "marketing" and optout is not None),
                PhoneNumber.region.in_(sorted(optout.regions) if optout else []),
                pt.workspace_id == workspace,
                pt.registry_name == PT_OPTOUT,
                pt.e164_index == PhoneNumber.e164_index,
            ),
        )
        # "+ 0": not the workspace/status index, so that SQLite walks the primary key in order.
        .where(Contact.workspace_id + 0 == workspace)
    )


def _suppressions(
    connection: Connection, workspace: int, span: tuple[str, str]
) -> dict[bytes, frozenset[str]]:
    """Active suppressions of the primary numbers of contacts in ``span`` (after, last]."""
    found: dict[bytes, set[str]] = {}
    query = (
        select(PhoneNumber.e164_index, Suppression.kind)
        .join(
            Suppression,
            and_(
                Suppression.workspace_id == workspace,
                Suppression.e164_index == PhoneNumber.e164_index,
                Suppression.lifted_at.is_(None),
            ),
        )
        .where(
            PhoneNumber.workspace_id == workspace,
            PhoneNumber.is_primary.is_(True),
            PhoneNumber.contact_id > span[0],
            PhoneNumber.contact_id <= span[1],
        )
    )
    for index, kind in connection.execute(query):
        found.setdefault(index, set()).add(kind)
    return {k: frozenset(v) for k, v in found.items()}
