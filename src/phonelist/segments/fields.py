"""What each field a segment query may name is, in one line: for ``segment fields``, the API and
the editor's help. A test fails when the binder knows a field that this table does not describe.
"""

from __future__ import annotations

from dataclasses import dataclass

from phonelist.segments.bind import Catalog, field_names

__all__ = ["FieldInfo", "describe_fields"]


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """A name a query may use, its kind of value, and one line about it."""

    name: str
    type: str  # text | code | datetime | yes_no | consent | tag | list | segment | exact | custom
    description: str


_BUILT_IN: dict[str, tuple[str, str]] = {
    "country": ("code", "the contact's country, an ISO two-letter code such as PT"),
    "region": ("text", "the contact's region or state"),
    "city": ("text", "the contact's city"),
    "postal_code": ("text", "the contact's postal code"),
    "time_zone": ("text", "the contact's time zone, e.g. Europe/Lisbon"),
    "status": ("code", "the contact's status"),
    "source": ("text", "where the contact came from, e.g. an import's label"),
    "created": ("datetime", "when the contact was added"),
    "updated": ("datetime", "when the contact last changed"),
    "last_contacted": ("datetime", "when the contact was last contacted"),
    "number.type": ("code", "the primary number's line type, e.g. mobile, fixed_line, voip"),
    "number.country": ("code", "the primary number's country (from the number, not the address)"),
    "carrier": ("text", "the primary number's carrier, where known"),
    "tag": ("tag", "has this tag; 'has tag': has any"),
    "list": ("list", "is on this static list; 'has list': is on any"),
    "segment": ("segment", "is in this saved segment"),
    "name": ("exact", "every word given is among the contact's name words"),
    "email": ("exact", "has this email address"),
    "number": ("exact", "has this phone number (any of theirs, in any format)"),
    "suppressed": ("yes_no", "the primary number is on the do-not-contact list"),
    "sent": ("yes_no", "a message was ever sent to the primary number"),
    "replied": ("yes_no", "a message was ever received from the primary number"),
    "sent.last": ("datetime", "when the newest message was sent to the primary number"),
    "replied.last": ("datetime", "when the newest message came from the primary number"),
}
_MEDIUM = {"sms": "texts", "voice": "calls"}


def describe_fields(catalog: Catalog) -> list[FieldInfo]:
    """Every field a query may name in this workspace, custom fields included.

    Sensitive custom fields are stored encrypted and cannot be queried, so they are left out.
    """
    described: list[FieldInfo] = []
    for name in field_names(catalog):
        kind, _, rest = name.partition(".")
        if name in _BUILT_IN:
            type_, about = _BUILT_IN[name]
            if name == "status" and catalog.statuses:
                about += f": {', '.join(catalog.statuses)}"
        elif kind in ("consent", "sendable") and rest.count(".") == 1:
            channel, purpose = rest.split(".")
            what = f"{purpose} {_MEDIUM.get(channel, channel)}"
            if kind == "consent":
                type_ = "consent"
                about = f"consent to {what} (primary number): granted, expired, revoked, "
                about += "pending or none"
            else:
                type_, about = "yes_no", f"the policy engine would allow {what} now"
        elif kind == "custom" and rest in catalog.custom:
            info = catalog.custom[rest]
            if info.sensitive:
                continue
            type_ = info.type
            about = f"custom field ({info.type}"
            about += f": {', '.join(info.choices)})" if info.choices else ")"
        else:  # a field the binder knows and this list does not describe yet
            type_, about = "other", name
        described.append(FieldInfo(name, type_, about))
    return described
