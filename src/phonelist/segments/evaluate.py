"""Plans in memory: does one contact match? The same meaning as the SQL, term by term.

A :class:`ContactView` holds what a plan can ask about a contact, already reduced to the forms
the store keeps (blind indexes for names, emails and numbers; the primary number's facts).
:mod:`phonelist.segments.service` builds views from the store; tests build them directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from phonelist.folding import fold
from phonelist.segments import plan

__all__ = ["ContactView", "matches"]


@dataclass(frozen=True, slots=True)
class ContactView:
    id: str
    values: Mapping[str, Any] = field(default_factory=dict)  # "contact.city", "phone.carrier"...
    tags: frozenset[str] = frozenset()
    lists: frozenset[str] = frozenset()
    custom: Mapping[int, Any] = field(default_factory=dict)  # field id -> value
    # (channel, purpose) -> (status, expires_at) of the primary number
    consents: Mapping[tuple[str, str], tuple[str, dt.datetime | None]] = field(default_factory=dict)
    suppressed: bool = False
    last_out: dt.datetime | None = None  # newest sent message to the primary number
    last_in: dt.datetime | None = None  # newest message received from it
    name_tokens: frozenset[bytes] = frozenset()
    emails: frozenset[bytes] = frozenset()
    numbers: frozenset[bytes] = frozenset()
    sendable: Mapping[tuple[str, str], bool] = field(default_factory=dict)


def matches(term: plan.Term, view: ContactView) -> bool:
    if isinstance(term, plan.AllOf):
        return all(matches(t, view) for t in term.operands)
    if isinstance(term, plan.AnyOf):
        return any(matches(t, view) for t in term.operands)
    if isinstance(term, plan.Negate):
        return not matches(term.operand, view)
    if isinstance(term, plan.Scalar):
        return compare(view.values.get(term.column), term.op, term.values, term.fold)
    if isinstance(term, plan.Custom):
        folded = term.type == "text" or term.op == "contains"
        return compare(view.custom.get(term.field_id), term.op, term.values, folded)
    if isinstance(term, plan.Member):
        have = view.tags if term.kind == "tag" else view.lists
        return bool(have) if not term.names else not have.isdisjoint(term.names)
    if isinstance(term, plan.Consent):
        return _consent(view, term) in term.states
    if isinstance(term, plan.Flag):
        return view.suppressed
    if isinstance(term, plan.History):
        newest = view.last_out if term.direction == "out" else view.last_in
        return compare(newest, term.op, term.values, False)
    if isinstance(term, plan.Identity):
        if term.kind == "name":
            return set(term.indexes) <= view.name_tokens
        found = view.emails if term.kind == "email" else view.numbers
        return not found.isdisjoint(term.indexes)
    assert isinstance(term, plan.Sendable)
    return view.sendable.get((term.channel, term.purpose), False)


def _consent(view: ContactView, term: plan.Consent) -> str:
    found = view.consents.get((term.channel, term.purpose))
    if found is None:
        return "none"
    status, expires = found
    if status == "granted" and expires is not None and expires <= term.at:
        return "expired"
    return status


def compare(value: Any, op: str, values: tuple[object, ...], folded: bool) -> bool:
    """Like :func:`phonelist.segments.compile.compare`, with a missing value matching nothing."""
    if value is None:
        return False
    if op == "set":
        return True
    if folded or op == "contains":
        value = fold(value)
    if op == "contains":
        return str(values[0]) in value
    if op == "in":
        return value in values
    (other,) = values
    if op == "eq":
        return bool(value == other)
    if op == "gt":
        return bool(value > other)
    if op == "ge":
        return bool(value >= other)
    if op == "lt":
        return bool(value < other)
    return bool(value <= other)
