"""A small store to export: contacts with every kind of field, and its audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from phonelist import Phonelist
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.schemas import ContactOut, validate_input
from phonelist.exports import ExportService
from phonelist.security.permissions import Actor
from phonelist.store.models import AuditEvent


def create(core: Phonelist, actor: Actor, **data: Any) -> ContactOut:
    out = core.contacts.apply(actor, CreateContact(validate_input(ContactIn, data)))
    assert out is not None
    return out


def populate(core: Phonelist, actor: Actor) -> list[ContactOut]:
    """Three contacts: one with everything (primary number second), two plain ones."""
    core.fields.define(actor, "size", "number")
    core.fields.define(actor, "member", "boolean")
    core.fields.define(actor, "since", "date")
    core.fields.define(actor, "secret", "text", sensitive=True)
    ana = create(
        core,
        actor,
        display_name='=Ana "the boss"',
        first_name="Ana",
        last_name="Lima, Silva",
        phones=[
            {"number": "+351 213 000 000", "label": "work"},
            {"number": "912 345 678", "label": "Telemóvel", "primary": True},
            {"number": "+1 202 555 0143"},
        ],
        emails=[{"email": "ana@example.org", "label": "home"}, "ana@work.example"],
        country="PT",
        region="Porto",
        city="Porto",
        postal_code="4000-001",
        time_zone="Europe/Lisbon",
        tags=["vip", "a;b", "x,y"],
        lists=["Feira 2024"],
        custom={"size": -5, "member": True, "since": "2024-01-02", "secret": "@cmd"},
        note="first line\r\nsecond, line",
        source="feira",
    )
    bruno = create(core, actor, first_name="Bruno", phones=["+351 911 111 111"], tags=["vip"])
    carla = create(
        core, actor, display_name="Carla", phones=["+44 20 7946 0018"], status="customer"
    )
    return [ana, bruno, carla]


def service(core: Phonelist) -> ExportService:
    return ExportService(core.store, core.contacts, core.fields)


def export_events(core: Phonelist) -> list[AuditEvent]:
    with core.store.read() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "contacts.export")
                .order_by(AuditEvent.id)
            )
        )
