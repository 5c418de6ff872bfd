"""What a contact looks like going in and coming out, with every input limit in one place.

Input models forbid unknown fields and reject control characters and over-long values, so
bad input fails before anything is written. Valid text is kept exactly as given (no trimming,
no case changes), so that it round-trips byte for byte.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Annotated, Any, TypeAlias, TypeVar

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError

from phonelist.errors import ValidationError

__all__ = [
    "ContactIn",
    "ContactOut",
    "ContactPatch",
    "EmailIn",
    "EmailOut",
    "NoteOut",
    "PhoneIn",
    "PhoneOut",
    "email_address",
    "iana_time_zone",
    "iso_country",
    "plain_text",
    "validate_input",
]

_TIME_ZONES = frozenset(zoneinfo.available_timezones())


_SPACE = re.compile(r"\s")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # category Cs: invalid UTF-8 that slipped in


def plain_text(value: str) -> str:
    """Refuse control characters and lone surrogates (invalid UTF-8 that slipped through)."""
    if _SURROGATE.search(value):
        raise ValueError("text is not valid Unicode (invalid UTF-8 or a lone surrogate)")
    bad = _CONTROL.search(value)
    if bad:
        raise ValueError(f"control character U+{ord(bad.group()):04X} is not allowed")
    return value


_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # Cc but \t \n \r


def multiline_text(value: str) -> str:
    """Like :func:`plain_text`, but line breaks and tabs are allowed (notes)."""
    if _SURROGATE.search(value):
        raise ValueError("text is not valid Unicode (invalid UTF-8 or a lone surrogate)")
    bad = _CONTROL_BUT_LINES.search(value)
    if bad:
        raise ValueError(f"control character U+{ord(bad.group()):04X} is not allowed")
    return value


def email_address(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or "." not in domain or _SPACE.search(value):
        raise ValueError("not an email address (expected name@example.org)")
    return value


def iso_country(value: str) -> str:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("country must be an upper-case ISO 3166 alpha-2 code such as US or PT")
    return value


def iana_time_zone(value: str) -> str:
    if value not in _TIME_ZONES:
        raise ValueError("time_zone must be an IANA zone such as Europe/Lisbon")
    return value


def _limit(max_length: int) -> StringConstraints:
    return StringConstraints(min_length=1, max_length=max_length)


_Plain = AfterValidator(plain_text)
Name: TypeAlias = Annotated[str, _limit(200), _Plain]
Label: TypeAlias = Annotated[str, _limit(32), _Plain]
TagName: TypeAlias = Annotated[str, _limit(64), _Plain]
ListName: TypeAlias = Annotated[str, _limit(100), _Plain]
Place: TypeAlias = Annotated[str, _limit(100), _Plain]
PostalCode: TypeAlias = Annotated[str, _limit(20), _Plain]
Source: TypeAlias = Annotated[str, _limit(100), _Plain]
NoteText = Annotated[
    str, StringConstraints(min_length=1, max_length=10_000), AfterValidator(multiline_text)
]
EmailText = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(plain_text),
    AfterValidator(email_address),
]
Country = Annotated[str, AfterValidator(iso_country)]
TimeZone = Annotated[str, AfterValidator(iana_time_zone)]

_STRICT = ConfigDict(extra="forbid", strict=True)


class PhoneIn(BaseModel):
    """A number in any common format; ``"+351 912 345 678"`` alone is accepted as shorthand."""

    model_config = _STRICT
    number: Annotated[str, StringConstraints(max_length=64), AfterValidator(plain_text)]
    label: Label | None = None
    primary: bool = False


class EmailIn(BaseModel):
    model_config = _STRICT
    email: EmailText
    label: Label | None = None
    primary: bool = False


def _shorthand(key: str) -> Any:
    def expand(items: Any) -> Any:
        if isinstance(items, list):
            return [{key: item} if isinstance(item, str) else item for item in items]
        return items

    return expand


class _ContactFields(BaseModel):
    model_config = _STRICT

    display_name: Name | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    phones: list[PhoneIn] = Field(default_factory=list, max_length=20)
    emails: list[EmailIn] = Field(default_factory=list, max_length=20)
    country: Country | None = None
    region: Place | None = None
    city: Place | None = None
    postal_code: PostalCode | None = None
    time_zone: TimeZone | None = None
    status: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    tags: list[TagName] = Field(default_factory=list, max_length=100)
    lists: list[ListName] = Field(default_factory=list, max_length=100)
    custom: dict[Annotated[str, StringConstraints(max_length=64)], Any] = Field(
        default_factory=dict, max_length=100
    )
    source: Source | None = None

    @field_validator("phones", mode="before")
    @classmethod
    def _phones_shorthand(cls, value: Any) -> Any:
        return _shorthand("number")(value)

    @field_validator("emails", mode="before")
    @classmethod
    def _emails_shorthand(cls, value: Any) -> Any:
        return _shorthand("email")(value)


class ContactIn(_ContactFields):
    """A new contact. At least a name or a phone number is required (checked by the service)."""

    note: NoteText | None = None


class ContactPatch(_ContactFields):
    """A change: only the fields given are changed; ``null`` clears a field.

    ``phones``, ``emails``, ``tags``, ``lists`` and ``custom`` replace the whole collection.
    """


class PhoneOut(BaseModel):
    id: str
    e164: str
    national: str
    label: str | None
    primary: bool
    validity: str | None
    number_type: str | None
    region: str | None
    carrier: str | None
    time_zones: list[str] | None


class EmailOut(BaseModel):
    id: str
    email: str
    label: str | None
    primary: bool


class NoteOut(BaseModel):
    id: str
    body: str
    author: str
    created_at: dt.datetime


class ContactOut(BaseModel):
    id: str
    display_name: str | None
    first_name: str | None
    last_name: str | None
    phones: list[PhoneOut]
    emails: list[EmailOut]
    country: str | None
    region: str | None
    city: str | None
    postal_code: str | None
    time_zone: str | None
    status: str
    tags: list[str]
    lists: list[str]
    custom: dict[str, Any]
    notes: list[NoteOut]
    source: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def name(self) -> str:
        """The name to show: display name, else first and last, else the primary number."""
        if self.display_name:
            return self.display_name
        joined = " ".join(p for p in (self.first_name, self.last_name) if p)
        if joined:
            return joined
        return self.phones[0].e164 if self.phones else self.id


M = TypeVar("M", bound=BaseModel)


def validate_input(model: type[M], data: Any) -> M:
    """Validate ``data`` into ``model``; pydantic's errors become one phonelist ValidationError.

    The first problem is reported, with its field path (``phones[0].number``), so that a face
    can show it next to the field.
    """
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = _path(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown field"
        raise ValidationError(
            f"{field}: {message}" if field else message,
            field=field or None,
            details={"errors": len(exc.errors())},
        ) from exc


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if len(part) <= 64 else part[:61] + "..."  # keys can be user text
            text += f".{name}" if text else name
    return text
