"""Request and response bodies of the API that are not the core's own contact schemas."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from phonelist.contacts.fields import FieldDefinition
from phonelist.contacts.schemas import ContactOut, NoteText, TagName
from phonelist.security.permissions import Role
from phonelist.security.tokens import TokenInfo

__all__ = [
    "ContactPage",
    "FieldIn",
    "FieldOut",
    "MergeIn",
    "NoteIn",
    "SearchResult",
    "StatusesBody",
    "TagsIn",
    "TokenCreated",
    "TokenIn",
    "TokenOut",
]

_STRICT = ConfigDict(extra="forbid", strict=True)


class ContactPage(BaseModel):
    items: list[ContactOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end"
    )


class SearchResult(BaseModel):
    items: list[ContactOut]
    has_more: bool = Field(description="More contacts match than were returned; narrow the search")


class MergeIn(BaseModel):
    """Fold the contact ``source_id`` into the one in the URL, then delete it."""

    model_config = _STRICT
    source_id: Annotated[str, Field(min_length=1, max_length=64)]


class TagsIn(BaseModel):
    model_config = _STRICT
    tags: list[TagName] = Field(min_length=1, max_length=100)


class NoteIn(BaseModel):
    model_config = _STRICT
    body: NoteText


class FieldIn(BaseModel):
    model_config = _STRICT
    name: Annotated[str, Field(min_length=1, max_length=64)]
    type: Annotated[str, Field(min_length=1, max_length=16)]
    choices: list[TagName] | None = Field(default=None, max_length=100)
    sensitive: bool = False


class FieldOut(BaseModel):
    name: str
    type: str
    choices: list[str] | None
    sensitive: bool

    @classmethod
    def of(cls, definition: FieldDefinition) -> FieldOut:
        return cls(**asdict(definition))


class TokenIn(BaseModel):
    model_config = _STRICT
    name: Annotated[str, Field(min_length=1, max_length=100)]
    role: Annotated[Role, Strict(False)]
    expires_in_days: int | None = Field(
        default=90, description="Days until it stops working; null for never"
    )


class TokenOut(BaseModel):
    id: str
    name: str
    role: str
    prefix: str
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, info: TokenInfo) -> TokenOut:
        return cls(**asdict(info))


class TokenCreated(TokenOut):
    secret: str = Field(description="The token itself; shown this once and never again")


class StatusesBody(BaseModel):
    model_config = _STRICT
    statuses: list[Annotated[str, StringConstraints(max_length=32)]] = Field(max_length=50)
