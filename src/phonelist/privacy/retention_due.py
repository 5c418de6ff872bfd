"""What the retention purge selects: inactive contacts and numbers whose consent evidence is due.

Pure queries of a session, with the cut-off instants passed in, so that tests can pin a contact
just inside and just outside a period. :mod:`phonelist.privacy.retention` applies them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from phonelist.store.consent_models import ConsentState, Message
from phonelist.store.models import ConsentRecord, Contact, PhoneNumber
from phonelist.store.privacy_models import PrivacyRequest

__all__ = ["OPEN_REQUEST", "consent_evidence_due", "inactive_contacts"]

OPEN_REQUEST = ("open", "extended")


def inactive_contacts(
    session: Session,
    workspace: int,
    cutoff: dt.datetime,
    evidence_cutoff: dt.datetime | None,
) -> list[str]:
    """Ids of the contacts with no activity at or after ``cutoff``.

    Activity: the contact was created or changed, contacted, inquired or bought; a message went
    to or came from one of its numbers; a consent record of one of its numbers was written. A
    contact named by an open privacy request is never due (the request is being answered).

    Erasing a contact removes its numbers' messages and consent evidence, so a contact whose
    numbers have a message or consent record after ``evidence_cutoff`` (the consent-evidence
    period; ``None``: kept forever) is not due either: the purge never cuts that period short.
    """
    if evidence_cutoff is not None:
        evidence_cutoff = min(cutoff, evidence_cutoff)
    number_of_contact = and_(
        PhoneNumber.contact_id == Contact.id, PhoneNumber.workspace_id == workspace
    )
    recent_message = (
        select(Message.id)
        .join(PhoneNumber, Message.e164_index == PhoneNumber.e164_index)
        .where(
            number_of_contact,
            Message.workspace_id == workspace,
            *_since(Message.at, evidence_cutoff),
        )
    )
    recent_record = (
        select(ConsentRecord.id)
        .join(PhoneNumber, ConsentRecord.e164_index == PhoneNumber.e164_index)
        .where(
            number_of_contact,
            ConsentRecord.workspace_id == workspace,
            *_since(ConsentRecord.recorded_at, evidence_cutoff),
        )
    )
    open_request = select(PrivacyRequest.id).where(
        PrivacyRequest.workspace_id == workspace,
        PrivacyRequest.contact_id == Contact.id,
        PrivacyRequest.status.in_(OPEN_REQUEST),
    )
    query = (
        select(Contact.id)
        .where(
            Contact.workspace_id == workspace,
            Contact.created_at < cutoff,
            Contact.updated_at < cutoff,
            *(
                or_(column.is_(None), column < cutoff)
                for column in (
                    Contact.last_contacted_at,
                    Contact.last_inquiry_at,
                    Contact.last_purchase_at,
                )
            ),
            ~exists(recent_message),
            ~exists(recent_record),
            ~exists(open_request),
        )
        .order_by(Contact.id)
    )
    return list(session.scalars(query))


def consent_evidence_due(
    session: Session, workspace: int, cutoff: dt.datetime, now: dt.datetime
) -> list[bytes]:
    """Blind indexes of the numbers whose consent evidence is past its period.

    Due: the number has a record still holding personal evidence, no ledger record and no
    message at or after ``cutoff``, no consent in force now (evidence of a standing consent is
    what makes a future send lawful, so it stays while the consent does), and no open privacy
    request about it.
    """
    outer = aliased(ConsentRecord)
    recent_record = select(ConsentRecord.id).where(
        ConsentRecord.workspace_id == workspace,
        ConsentRecord.e164_index == outer.e164_index,
        ConsentRecord.recorded_at >= cutoff,
    )
    recent_message = select(Message.id).where(
        Message.workspace_id == workspace,
        Message.e164_index == outer.e164_index,
        Message.at >= cutoff,
    )
    in_force = select(ConsentState.record_id).where(
        ConsentState.workspace_id == workspace,
        ConsentState.e164_index == outer.e164_index,
        ConsentState.status == "granted",
        or_(ConsentState.expires_at.is_(None), ConsentState.expires_at > now),
    )
    open_request = select(PrivacyRequest.id).where(
        PrivacyRequest.workspace_id == workspace,
        PrivacyRequest.e164_index == outer.e164_index,
        PrivacyRequest.status.in_(OPEN_REQUEST),
    )
    query = (
        select(outer.e164_index)
        .where(
            outer.workspace_id == workspace,
            outer.erased_at.is_(None),
            ~exists(recent_record),
            ~exists(recent_message),
            ~exists(in_force),
            ~exists(open_request),
        )
        .distinct()
    )
    return sorted(session.scalars(query))


def _since(column: Any, cutoff: dt.datetime | None) -> tuple[Any, ...]:
    """Rows at or after ``cutoff``; with no cutoff (kept forever), every row."""
    return () if cutoff is None else (column >= cutoff,)
