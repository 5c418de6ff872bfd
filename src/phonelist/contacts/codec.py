"""Between stored rows and what users see: encryption of personal fields, blind indexes."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberFormat

from phonelist.contacts.fields import decode_value
from phonelist.contacts.schemas import ContactOut, EmailOut, NoteOut, PhoneOut
from phonelist.security.crypto import Keyring
from phonelist.store.models import Contact, Email, NameToken, Note, PhoneNumber

__all__ = [
    "email_index",
    "mask_number",
    "name_tokens",
    "phone_index",
    "seal",
    "to_out",
    "unseal",
]

_ASCII_WORDS = re.compile(r"[a-z0-9]+")
NAME_FIELDS = ("display_name", "first_name", "last_name")


def seal(keyring: Keyring, value: str | None, table: str, column: str, row_id: str) -> bytes | None:
    if value is None:
        return None
    return keyring.encrypt(value, table=table, column=column, row_id=row_id)


def unseal(
    keyring: Keyring, blob: bytes | None, table: str, column: str, row_id: str
) -> str | None:
    if blob is None:
        return None
    return keyring.decrypt(blob, table=table, column=column, row_id=row_id)


def phone_index(keyring: Keyring, e164: str) -> bytes:
    return keyring.blind_index("phone", e164)


def email_index(keyring: Keyring, email: str) -> bytes:
    return keyring.blind_index("email", email.strip().casefold())


def tokenize(text: str) -> set[str]:
    """Words of a name, case- and accent-folded: "José da Silva-Lima" -> jose, da, silva, lima."""
    if text.isascii():  # the common case, without the Unicode round trips
        return set(_ASCII_WORDS.findall(text.lower()))
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    words = "".join(c if c.isalnum() else " " for c in bare).split()
    return {w for w in words if w}


def name_tokens(keyring: Keyring, *names: str | None) -> set[bytes]:
    tokens: set[str] = set()
    for name in names:
        if name:
            tokens |= tokenize(name)
    return {keyring.blind_index("name", token) for token in tokens}


def set_names(keyring: Keyring, contact: Contact, names: dict[str, str | None]) -> None:
    """Seal the given names into the contact and rebuild its name-token index."""
    for field, value in names.items():
        setattr(contact, f"{field}_enc", seal(keyring, value, "contacts", field, contact.id))
    current = {
        f: unseal(keyring, getattr(contact, f"{f}_enc"), "contacts", f, contact.id)
        for f in NAME_FIELDS
    }
    wanted = name_tokens(keyring, *current.values())
    existing = {t.token_index: t for t in contact.name_tokens}
    for index, token in existing.items():
        if index not in wanted:
            contact.name_tokens.remove(token)
    for index in wanted - existing.keys():
        contact.name_tokens.append(NameToken(token_index=index, workspace_id=contact.workspace_id))


def phone_out(keyring: Keyring, phone: PhoneNumber, *, masked: bool = False) -> PhoneOut:
    """The number as stored; ``masked`` hides all but its country code and last 3 digits."""
    e164 = keyring.decrypt(phone.e164_enc, table="phone_numbers", column="e164", row_id=phone.id)
    national = _national(e164)
    if masked:
        e164, national = mask_number(e164)
    return PhoneOut(
        id=phone.id,
        e164=e164,
        national=national,
        label=phone.label,
        primary=phone.is_primary,
        validity=phone.validity,
        number_type=phone.number_type,
        region=phone.region,
        carrier=phone.carrier,
        time_zones=phone.time_zones,
    )


def _national(e164: str) -> str:
    try:
        return str(phonenumbers.format_number(phonenumbers.parse(e164), PhoneNumberFormat.NATIONAL))
    except phonenumbers.NumberParseException:
        return e164


MASK = "\u2022"  # a bullet: "+351 ••• ••• 678"
_SHOWN_DIGITS = 3


def mask_number(e164: str) -> tuple[str, str]:
    """E.164 and national forms of a number with every digit but the last 3 replaced by a bullet.

    The country code stays, and the digits keep the grouping of the number's own format:
    ``+351912345678`` -> ``("+351 ••• ••• 678", "••• ••• 678")``. Used for roles without the
    contacts.numbers permission (agents).
    """
    try:
        parsed = phonenumbers.parse(e164)
        country = f"+{parsed.country_code}"
        international = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
        national = phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        country, international, national = "", e164, e164
    rest = international.removeprefix(country)
    if not country or rest == international:  # unexpected shapes: hide everything but the tail
        country, rest = "", e164
    return country + _bullets(rest), _bullets(national)


def _bullets(text: str) -> str:
    digits = sum(c.isdigit() for c in text)
    hide = max(digits - _SHOWN_DIGITS, 0) if digits > _SHOWN_DIGITS else digits
    out = []
    for char in text:
        if char.isdigit() and hide > 0:
            out.append(MASK)
            hide -= 1
        else:
            out.append(char)
    return "".join(out)


def email_out(keyring: Keyring, email: Email) -> EmailOut:
    return EmailOut(
        id=email.id,
        email=keyring.decrypt(email.email_enc, table="emails", column="email", row_id=email.id),
        label=email.label,
        primary=email.is_primary,
    )


def note_out(keyring: Keyring, note: Note) -> NoteOut:
    return NoteOut(
        id=note.id,
        body=keyring.decrypt(note.body_enc, table="notes", column="body", row_id=note.id),
        author=note.author,
        created_at=note.created_at,
    )


def to_out(keyring: Keyring, contact: Contact, *, masked: bool = False) -> ContactOut:
    """The contact as users see it; ``masked`` masks its numbers (see :func:`mask_number`)."""
    names = {
        f: unseal(keyring, getattr(contact, f"{f}_enc"), "contacts", f, contact.id)
        for f in NAME_FIELDS
    }
    return ContactOut(
        id=contact.id,
        **names,
        phones=[phone_out(keyring, p, masked=masked) for p in contact.phones],
        emails=[email_out(keyring, e) for e in contact.emails],
        country=contact.country,
        region=contact.region,
        city=contact.city,
        postal_code=contact.postal_code,
        time_zone=contact.time_zone,
        status=contact.status,
        tags=sorted(link.tag.name for link in contact.tag_links),
        lists=sorted(link.contact_list.name for link in contact.list_links),
        custom={v.field.name: decode_value(v, keyring) for v in contact.custom_values},
        notes=[note_out(keyring, n) for n in contact.notes],
        source=contact.source,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )
