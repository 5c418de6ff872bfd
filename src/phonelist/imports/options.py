"""What an import is asked to do, checked before any row is read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from phonelist.consent.commands import GRANT_METHODS
from phonelist.contacts.queries import check_name
from phonelist.errors import ValidationError

__all__ = [
    "CHANNELS",
    "DUPLICATE_POLICIES",
    "PURPOSES",
    "ConsentBasis",
    "ImportOptions",
    "parse_map",
]

DUPLICATE_POLICIES = ("skip", "update", "replace")
CHANNELS = ("sms", "voice")
PURPOSES = ("marketing", "informational")  # emergency messages need no consent
METHODS = GRANT_METHODS  # the ledger's methods: implied consent names its kind (C8)


@dataclass(frozen=True, slots=True)
class ConsentBasis:
    """What the file's consent evidence columns are: ``sms:marketing:web_form``.

    Without it, an import never creates consent (COMPLIANCE.md C5: state stays unknown).
    """

    channel: str
    purpose: str
    method: str

    @classmethod
    def parse(cls, text: str) -> ConsentBasis:
        parts = text.strip().lower().split(":")
        if (
            len(parts) != 3
            or parts[0] not in CHANNELS
            or parts[1] not in PURPOSES
            or (parts[2] not in METHODS)
        ):
            raise ValidationError(
                "consent basis is CHANNEL:PURPOSE:METHOD, e.g. sms:marketing:web_form "
                f"(channels {', '.join(CHANNELS)}; purposes {', '.join(PURPOSES)}; "
                f"methods {', '.join(METHODS)})",
                field="consent_basis",
            )
        return cls(*parts)

    def __str__(self) -> str:
        return f"{self.channel}:{self.purpose}:{self.method}"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    region: str | None = None  # explicit region hint for numbers without +
    on_duplicate: str = "skip"
    tags: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    source: str | None = None
    dry_run: bool = False
    consent_basis: ConsentBasis | None = None
    suppress: bool = False  # numbers go to the do-not-contact list, not to contacts
    mapping: dict[str, str] = field(default_factory=dict)  # column -> field (--map)
    create_fields: bool = False  # unmapped columns become text custom fields
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    batch_size: int = 2000

    def __post_init__(self) -> None:
        if self.on_duplicate not in DUPLICATE_POLICIES:
            raise ValidationError(
                f"on-duplicate must be one of {', '.join(DUPLICATE_POLICIES)}",
                field="on_duplicate",
            )
        if self.region is not None:
            if not (len(self.region) == 2 and self.region.isalpha()):
                raise ValidationError("region must be a two-letter code such as PT", field="region")
            object.__setattr__(self, "region", self.region.upper())
        for tag in self.tags:
            check_name(tag, "tags", 64)
        for name in self.lists:
            check_name(name, "lists", 100)
        if self.source is not None:
            check_name(self.source, "source", 100)
        if not 1 <= self.batch_size <= 50_000:
            raise ValidationError("batch size must be 1 to 50000", field="batch_size")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["consent_basis"] = str(self.consent_basis) if self.consent_basis else None
        data["tags"], data["lists"] = list(self.tags), list(self.lists)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportOptions:
        basis = data.get("consent_basis")
        return cls(
            **{
                **data,
                "consent_basis": ConsentBasis.parse(basis) if basis else None,
                "tags": tuple(data.get("tags", ())),
                "lists": tuple(data.get("lists", ())),
            }
        )


def parse_map(items: list[str]) -> dict[str, str]:
    """``--map`` values (``COLUMN=FIELD``, the last ``=`` splits) as a column -> field dict."""
    pairs: dict[str, str] = {}
    for item in items:
        column, sep, target = item.rpartition("=")
        if not sep or not column or not target:
            raise ValidationError(f"map {item!r}: expected COLUMN=FIELD", field="map")
        pairs[column] = target
    return pairs
