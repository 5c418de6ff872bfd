"""The bound form of a query: every name resolved, every value typed, every date an instant.

The binder (:mod:`phonelist.segments.bind`) turns the parser's tree into these terms; the SQL
compiler and the in-memory evaluator both read only these, so that they cannot disagree about
what a query means, only about how to compute it (and a Hypothesis test holds them together).

Every term is two-valued: a contact without the attribute (no country, no primary number) does
not match a comparison, and ``NOT`` of that comparison matches it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AllOf",
    "AnyOf",
    "Consent",
    "Custom",
    "Flag",
    "History",
    "Identity",
    "Member",
    "Negate",
    "Scalar",
    "Sendable",
    "Term",
]

Op = Literal["eq", "in", "contains", "gt", "ge", "lt", "le", "set"]
CONSENT_VALUES = ("granted", "expired", "revoked", "pending", "none")


@dataclass(frozen=True, slots=True)
class Scalar:
    """A column of the contact (``contact.*``) or of its primary number (``phone.*``)."""

    column: str  # a key of compile.COLUMNS and of ContactView
    op: Op
    values: tuple[object, ...] = ()
    fold: bool = False  # compare case-insensitively (phonelist.folding)


@dataclass(frozen=True, slots=True)
class Custom:
    """A custom field's value, by field id and type (text, number, date, boolean, choice)."""

    field_id: int
    type: str
    op: Op
    values: tuple[object, ...] = ()


@dataclass(frozen=True, slots=True)
class Member:
    """Has any of these tags or lists (``names`` empty: has any at all).

    ``ids`` are the ids of the names that exist (the SQL reads ids, the evaluator names).
    """

    kind: Literal["tag", "list"]
    names: tuple[str, ...]
    ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Consent:
    """The primary number's consent for (channel, purpose) is in one of ``states`` at ``at``."""

    channel: str
    purpose: str
    states: frozenset[str]
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Flag:
    """A yes/no fact of the primary number: ``suppressed`` (an active suppression)."""

    name: Literal["suppressed"]


@dataclass(frozen=True, slots=True)
class History:
    """The newest message of the primary number in ``direction``, compared like a date."""

    direction: Literal["out", "in"]
    op: Op
    values: tuple[object, ...] = ()


@dataclass(frozen=True, slots=True)
class Identity:
    """Exact match through the blind index: all name words, or any email, or any number."""

    kind: Literal["name", "email", "number"]
    indexes: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Sendable:
    """The policy engine allows a message on (channel, purpose) to the primary number at ``at``."""

    channel: str
    purpose: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Term


@dataclass(frozen=True, slots=True)
class AllOf:
    operands: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    operands: tuple[Term, ...]


Term = (
    Scalar
    | Custom
    | Member
    | Consent
    | Flag
    | History
    | Identity
    | Sendable
    | Negate
    | AllOf
    | AnyOf
)


def sendables(term: Term) -> list[Sendable]:
    """Every ``Sendable`` in the term, wherever it is."""
    found: list[Sendable] = []
    stack: list[Term] = [term]
    while stack:
        node = stack.pop()
        if isinstance(node, Sendable):
            found.append(node)
        elif isinstance(node, Negate):
            stack.append(node.operand)
        elif isinstance(node, AllOf | AnyOf):
            stack.extend(node.operands)
    return found
