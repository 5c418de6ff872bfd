"""Comparing stores by content, not by ids or times."""

from __future__ import annotations

from typing import Any

from phonelist import Phonelist
from phonelist.security.permissions import Actor


def snapshot(core: Phonelist, actor: Actor) -> list[dict[str, Any]]:
    """Every contact as comparable data, sorted by its primary number."""
    found = []
    cursor = None
    while True:
        page = core.contacts.page(actor, limit=500, cursor=cursor)
        for contact in page.items:
            found.append(
                {
                    "names": (contact.display_name, contact.first_name, contact.last_name),
                    "phones": [
                        (p.e164, p.label, p.primary, p.number_type, p.region)
                        for p in contact.phones
                    ],
                    "emails": [(e.email, e.label, e.primary) for e in contact.emails],
                    "place": (
                        contact.country,
                        contact.region,
                        contact.city,
                        contact.postal_code,
                        contact.time_zone,
                    ),
                    "status": contact.status,
                    "tags": contact.tags,
                    "lists": contact.lists,
                    "custom": contact.custom,
                    "notes": [n.body for n in contact.notes],
                    "source": contact.source,
                }
            )
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return sorted(found, key=lambda c: c["phones"][0][0] if c["phones"] else "")
