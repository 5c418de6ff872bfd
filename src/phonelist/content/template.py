"""Message templates: ``Hi {first_name|there}, your {custom.plan} plan renews soon.``

A placeholder is ``{field}`` or ``{field|default}``; ``{{`` and ``}}`` are literal braces. The
fields are a contact's ``first_name``, ``last_name``, ``display_name``, ``city``, ``region``,
``country``, ``postal_code``, ``status`` and ``custom.<name>`` for a custom field. A
placeholder without a default whose value is missing renders as nothing, and the preview says
which contacts lack it. A template is parsed once (errors point at the character) and rendered
per contact with plain string joins: no evaluation, no attribute access, nothing from the
values is ever interpreted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from phonelist.errors import ValidationError

__all__ = ["CONTACT_FIELDS", "Placeholder", "Template", "TemplateError", "parse_template"]

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "city",
    "region",
    "country",
    "postal_code",
    "status",
)
MAX_LENGTH = 1600  # ten concatenated GSM-7 segments and then some: longer is a mistake
_NAME = re.compile(r"(?:custom\.)?[a-z][a-z0-9_]{0,63}")
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")


class TemplateError(ValidationError):
    """A template that cannot be parsed; ``position`` is the 0-based offending character."""

    code = "template_invalid"

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})", field="body")
        self.position = position
        self.details["position"] = position


@dataclass(frozen=True, slots=True)
class Placeholder:
    field: str
    default: str | None


@dataclass(frozen=True, slots=True)
class Template:
    source: str
    parts: tuple[str | Placeholder, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.field for p in self.parts if isinstance(p, Placeholder)))

    def render(self, values: Mapping[str, str | None]) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = values.get(part.field)
            if value is None or not str(value).strip():
                out.append(part.default or "")
            else:
                out.append(" ".join(str(value).split()))  # no line breaks from a value
        return "".join(out)

    def missing(self, values: Mapping[str, str | None]) -> tuple[str, ...]:
        """Fields without a default that ``values`` lacks (they render as nothing)."""
        return tuple(
            p.field
            for p in self.parts
            if isinstance(p, Placeholder)
            and p.default is None
            and not str(values.get(p.field) or "").strip()
        )


def parse_template(source: str, custom_fields: frozenset[str] | None = None) -> Template:
    """Parse ``source``; ``custom_fields`` (when given) are the names ``custom.x`` may use."""
    if not source.strip():
        raise TemplateError("the message is empty", 0)
    if len(source) > MAX_LENGTH:
        raise TemplateError(f"the message is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    control = _CONTROL.search(source)
    if control:
        raise TemplateError("the message holds a control character", control.start())
    parts: list[str | Placeholder] = []
    text: list[str] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char in "{}" and source[i : i + 2] in ("{{", "}}"):
            text.append(char)
            i += 2
            continue
        if char == "}":
            raise TemplateError("a '}' without its '{' (write '}}' for a brace)", i)
        if char != "{":
            text.append(char)
            i += 1
            continue
        end = source.find("}", i)
        if end < 0:
            raise TemplateError("a '{' that is never closed (write '{{' for a brace)", i)
        inner = source[i + 1 : end]
        if "{" in inner:
            raise TemplateError("a '{' inside a placeholder", i + 1 + inner.index("{"))
        name, bar, default = inner.partition("|")
        name = name.strip()
        if not _NAME.fullmatch(name):
            raise TemplateError(f"{name!r} is not a field name", i + 1)
        if name.startswith("custom."):
            if custom_fields is not None and name[7:] not in custom_fields:
                raise TemplateError(f"no custom field {name[7:]!r}", i + 1)
        elif name not in CONTACT_FIELDS:
            raise TemplateError(
                f"unknown field {name!r}; use one of {', '.join(CONTACT_FIELDS)} or custom.NAME",
                i + 1,
            )
        if text:
            parts.append("".join(text))
            text = []
        parts.append(Placeholder(name, default if bar else None))
        i = end + 1
    if text:
        parts.append("".join(text))
    return Template(source, tuple(parts))
