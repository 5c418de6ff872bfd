"""Export contacts, all or a filter, to CSV, XLSX, vCard or JSON Lines; every export is audited.

Contacts are read a page at a time (``ContactQueries.page``) and written as they come, so
memory stays bounded whatever the number of contacts. What is written reads back through
:func:`phonelist.files.open_table` as the same canonical records (see docs/files.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO, Any

from sqlalchemy import func, select

from phonelist.audit import record
from phonelist.contacts.fields import FieldService
from phonelist.contacts.queries import MAX_PAGE, ContactQueries, Page, Selection
from phonelist.errors import ValidationError
from phonelist.exports.records import NUMBER_FORMATS, contact_record, resolve_columns
from phonelist.files.writers import export_format, open_writer
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.models import Email, PhoneNumber

__all__ = ["ExportService", "Progress"]

Progress = Callable[[int], None]
"""Called after each page with the number of contacts written so far."""


class ExportService:
    """Needs the store (to size the number and email slots), the contact reads and fields."""

    def __init__(self, store: Store, contacts: ContactQueries, fields: FieldService) -> None:
        self.store = store
        self.contacts = contacts
        self.fields = fields

    def columns(self, actor: Actor) -> list[str]:
        """The columns an export writes by default, for this workspace as it is now."""
        actor.require(Permission.CONTACTS_READ)
        return resolve_columns(None, *self._slots(actor), self._custom(actor))

    def export(
        self,
        actor: Actor,
        out: IO[bytes],
        format: str,
        *,
        columns: Sequence[str] | None = None,
        number_format: str = "e164",
        status: str | None = None,
        tag: str | None = None,
        list_name: str | None = None,
        segment: Selection | None = None,
        progress: Progress | None = None,
    ) -> int:
        """Write the contacts that match the filters to ``out``; returns how many.

        Everything is checked (permission, format, columns, filters) before the first byte is
        written. One ``contacts.export`` audit event records who exported how many rows, in
        which format, with which columns and filters (never contact data); an export that
        fails half-way is recorded too, with ``complete: false``.
        """
        actor.require(Permission.CONTACTS_READ)
        kind = export_format(format).name
        if number_format not in NUMBER_FORMATS:
            raise ValidationError(
                f"numbers must be one of {', '.join(NUMBER_FORMATS)}",
                field="numbers",
                code="export_bad_numbers",
            )
        definitions = self.fields.all(actor)
        chosen = resolve_columns(columns, *self._slots(actor), [d.name for d in definitions])
        filters = {"status": status, "tag": tag, "list": list_name}
        if segment is not None:
            filters["segment"] = segment.label

        def fetch(cursor: str | None) -> Page:
            return self.contacts.page(
                actor,
                limit=MAX_PAGE,
                cursor=cursor,
                status=status,
                tag=tag,
                list_name=list_name,
                where=segment.where if segment else None,
                keep=segment.keep if segment else None,
                audit_as=None,  # one contacts.export event for the whole export
            )

        page = fetch(None)  # checks the filters before anything is written
        detail: dict[str, Any] = {
            "format": kind,
            "numbers": number_format,
            "columns": chosen,
            "filters": {k: v for k, v in filters.items() if v is not None},
        }
        rows = 0
        try:
            writer = open_writer(
                kind, out, chosen, custom_types={d.name: d.type for d in definitions}
            )
            while True:
                for contact in page.items:
                    writer.write(contact_record(contact, number_format))
                    rows += 1
                if progress is not None:
                    progress(rows)
                if page.next_cursor is None:
                    break
                page = fetch(page.next_cursor)
            writer.close()
        except BaseException:
            self._audit(actor, {**detail, "rows": rows, "complete": False})
            raise
        self._audit(actor, {**detail, "rows": rows, "complete": True})
        return rows

    def _audit(self, actor: Actor, detail: dict[str, Any]) -> None:
        with self.store.write() as session:
            record(session, actor, "contacts.export", "contacts", None, detail)

    def _slots(self, actor: Actor) -> tuple[int, int]:
        """The most numbers and the most emails any one contact of the workspace has."""
        with self.store.read() as session:
            found = []
            for model in (PhoneNumber, Email):
                per_contact = (
                    select(func.count().label("n"))
                    .where(model.workspace_id == actor.workspace_id)
                    .group_by(model.contact_id)
                    .subquery()
                )
                found.append(int(session.scalar(select(func.max(per_contact.c.n))) or 0))
        return found[0], found[1]

    def _custom(self, actor: Actor) -> list[str]:
        return [definition.name for definition in self.fields.all(actor)]
