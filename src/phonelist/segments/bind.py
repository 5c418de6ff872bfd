"""From the parser's tree to a plan: resolve field names, check operators, type every value.

Binding is where a query meets the workspace: its statuses, custom fields, tags, lists and
saved segments (a :class:`Catalog`), the instant ``at`` that relative dates count from, and
the keys that turn a name, email or number into its blind index. Every error points at the
token it is about and, for a misspelt name, suggests the closest known one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from phonelist.contacts import codec
from phonelist.errors import ValidationError
from phonelist.folding import fold
from phonelist.numbers import normalize
from phonelist.numbers.backends import TYPE_NAMES
from phonelist.policy.facts import CHANNELS, PURPOSES
from phonelist.security.crypto import Keyring
from phonelist.segments import plan
from phonelist.segments.ast import And, Compare, InList, IsSet, Node, Not, Or, Value
from phonelist.segments.coerce import boolean, date_term, day, instant, number, text_of
from phonelist.segments.errors import QueryError, suggest
from phonelist.segments.parse import parse

__all__ = ["Bound", "Catalog", "CustomInfo", "bind", "field_names", "fold"]

MAX_SEGMENT_DEPTH = 10


@dataclass(frozen=True, slots=True)
class CustomInfo:
    id: int
    type: str  # text | number | date | boolean | choice
    choices: tuple[str, ...] = ()
    sensitive: bool = False


@dataclass(frozen=True, slots=True)
class Catalog:
    """What a query may name in one workspace."""

    statuses: tuple[str, ...] = ()
    custom: Mapping[str, CustomInfo] = field(default_factory=dict)
    segments: Mapping[str, str] = field(default_factory=dict)  # name -> query text
    tags: Mapping[str, int] = field(default_factory=dict)  # name -> id
    lists: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Bound:
    term: plan.Term
    warnings: tuple[str, ...]


# name -> (kind, column, type, fold). Kinds: scalar columns, dates, and the special ones.
_TEXT, _CODE, _WHEN = "text", "code", "datetime"
_SCALARS: dict[str, tuple[str, str, bool]] = {
    "country": ("contact.country", _CODE, False),
    "region": ("contact.region", _TEXT, True),
    "city": ("contact.city", _TEXT, True),
    "postal_code": ("contact.postal_code", _TEXT, True),
    "time_zone": ("contact.time_zone", _TEXT, True),
    "status": ("contact.status", _CODE, False),
    "source": ("contact.source", _TEXT, True),
    "created": ("contact.created_at", _WHEN, False),
    "updated": ("contact.updated_at", _WHEN, False),
    "last_contacted": ("contact.last_contacted_at", _WHEN, False),
    "number.type": ("phone.number_type", _CODE, False),
    "number.country": ("phone.region", _CODE, False),
    "carrier": ("phone.carrier", _TEXT, True),
}
_SPECIAL = ("tag", "list", "segment", "name", "email", "number", "suppressed", "sent", "replied")
_HISTORY = {"sent.last": "out", "replied.last": "in"}
ALIASES = {
    "postcode": "postal_code",
    "zip": "postal_code",
    "timezone": "time_zone",
    "tz": "time_zone",
    "created_at": "created",
    "updated_at": "updated",
    "last_contacted_at": "last_contacted",
    "type": "number.type",
    "line_type": "number.type",
    "number_type": "number.type",
    "tags": "tag",
    "lists": "list",
    "phone": "number",
    "segments": "segment",
}
NUMBER_TYPES = tuple(sorted(set(TYPE_NAMES.values())))
_OPS = {"=": "eq", "==": "eq", "!=": "ne", "<>": "ne", "~": "contains"}
_OPS.update({">": "gt", ">=": "ge", "<": "lt", "<=": "le"})


def field_names(catalog: Catalog) -> list[str]:
    """Every name a query may use in this workspace (for help, suggestions and the docs)."""
    names = [*_SCALARS, *_SPECIAL, *_HISTORY]
    names += [f"consent.{c}.{p}" for c in CHANNELS for p in PURPOSES]
    names += [f"sendable.{c}.{p}" for c in CHANNELS for p in PURPOSES]
    names += [f"custom.{n}" for n in sorted(catalog.custom)]
    return names


def bind(
    text: str,
    catalog: Catalog,
    *,
    at: dt.datetime,
    keyring: Keyring,
    default_region: str,
) -> Bound:
    """Parse and bind ``text``; raises :class:`QueryError` pointing at what is wrong."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    binder = _Binder(text, catalog, at, keyring, default_region, ())
    return Bound(binder.term(parse(text)), tuple(dict.fromkeys(binder.warnings)))


class _Binder:
    def __init__(
        self,
        text: str,
        catalog: Catalog,
        at: dt.datetime,
        keyring: Keyring,
        region: str,
        outer: tuple[str, ...],
    ) -> None:
        self.text = text
        self.catalog = catalog
        self.at = at.astimezone(dt.UTC)
        self.keyring = keyring
        self.region = region
        self.outer = outer  # names of the segments being inlined, outermost first
        self.warnings: list[str] = []

    # -- structure ------------------------------------------------------------------------------
    def term(self, node: Node) -> plan.Term:
        if isinstance(node, And):
            return plan.AllOf(tuple(self.term(n) for n in node.operands))
        if isinstance(node, Or):
            return plan.AnyOf(tuple(self.term(n) for n in node.operands))
        if isinstance(node, Not):
            return plan.Negate(self.term(node.operand))
        if isinstance(node, IsSet):
            bound = self.atom(node.field, node.field_pos, node.field_end, "set", ())
        elif isinstance(node, InList):
            bound = self.atom(node.field, node.field_pos, node.field_end, "in", node.values)
        else:
            assert isinstance(node, Compare)
            op = _OPS[node.op]
            bound = self.atom(node.field, node.field_pos, node.field_end, op, (node.value,))
            if op == "ne":
                return plan.Negate(bound)
        negated = getattr(node, "negated", False)
        return plan.Negate(bound) if negated else bound

    def error(self, message: str, pos: int, end: int | None = None, **kw: Any) -> QueryError:
        return QueryError(message, query=self.text, pos=pos, end=end, **kw)

    # -- one comparison -------------------------------------------------------------------------
    def atom(self, name: str, pos: int, end: int, op: str, values: tuple[Value, ...]) -> plan.Term:
        op = "eq" if op == "ne" else op  # the caller negates
        name = ALIASES.get(name, name)
        where = (name, pos, end)
        if name in _SCALARS:
            column, type_, folded = _SCALARS[name]
            if type_ == _WHEN:
                return self.dates(where, op, values, lambda o, v: plan.Scalar(column, o, v))
            return self.scalar(where, column, type_, folded, op, values)
        if name in _HISTORY:
            way: Literal["out", "in"] = "out" if _HISTORY[name] == "out" else "in"
            return self.dates(where, op, values, lambda o, v: plan.History(way, o, v))
        if name in ("tag", "list"):
            return self.member(where, name, op, values)
        if name == "segment":
            return self.segment(where, op, values)
        if name in ("name", "email", "number"):
            return self.identity(where, name, op, values)
        if name in ("suppressed", "sent", "replied"):
            if name == "suppressed":
                fact: plan.Term = plan.Flag("suppressed")
            else:
                fact = plan.History("out" if name == "sent" else "in", "set")
            return self.yes_no(where, op, values, fact)
        parts = name.split(".")
        if len(parts) == 3 and parts[0] in ("consent", "sendable"):
            return self.policy(where, parts, op, values)
        custom_name = parts[1] if len(parts) == 2 and parts[0] == "custom" else name
        if "." not in custom_name and custom_name in self.catalog.custom:
            return self.custom(where, custom_name, op, values)
        hint = suggest(name, [*field_names(self.catalog), *ALIASES, *self.catalog.custom])
        message = f"unknown field '{name}'"
        if hint:
            message += f" — did you mean '{hint}'?"
        raise self.error(message, pos, end, suggestion=hint)

    def check_op(self, where: tuple[str, int, int], op: str, allowed: str, what: str) -> None:
        if op not in allowed.split():
            shown = {"eq": "=", "in": "in", "contains": "~", "set": "is set"}
            shown.update({"gt": ">", "ge": ">=", "lt": "<", "le": "<="})
            words = ", ".join(shown[o] for o in allowed.split())
            name, pos, end = where
            raise self.error(
                f"{shown[op]!r} does not apply to {name} ({what}): use {words}", pos, end
            )

    def scalar(
        self,
        where: tuple[str, int, int],
        column: str,
        type_: str,
        folded: bool,
        op: str,
        values: tuple[Value, ...],
    ) -> plan.Term:
        self.check_op(where, op, "eq in contains set", "text")
        texts = tuple(text_of(v) for v in values)
        name = where[0]
        if name == "country":
            texts = tuple(t.upper() for t in texts)
            for value, t in zip(values, texts, strict=True):
                if op != "contains" and not (len(t) == 2 and t.isascii() and t.isalpha()):
                    raise self.error(
                        "country is a two-letter code like PT or US", value.pos, value.end
                    )
        elif name == "number.country":
            texts = tuple(t.upper() for t in texts)
        elif name == "number.type" and op != "contains":
            texts = tuple(
                self.known(v, t.lower(), NUMBER_TYPES, "number type")
                for v, t in zip(values, texts, strict=True)
            )
        elif name == "status" and op != "contains" and self.catalog.statuses:
            texts = tuple(
                self.known(v, t, self.catalog.statuses, "status")
                for v, t in zip(values, texts, strict=True)
            )
        if op == "contains":
            return plan.Scalar(column, "contains", (fold(texts[0]),), True)
        if folded:
            texts = tuple(fold(t) for t in texts)
        return plan.Scalar(column, op, texts, folded)  # type: ignore[arg-type]

    def known(self, value: Value, text: str, choices: tuple[str, ...], what: str) -> str:
        if text in choices:
            return text
        hint = suggest(text, choices)
        message = f"unknown {what} '{text}'"
        message += f" — did you mean '{hint}'?" if hint else f": one of {', '.join(choices)}"
        raise self.error(message, value.pos, value.end, suggestion=hint)

    def dates(
        self,
        where: tuple[str, int, int],
        op: str,
        values: tuple[Value, ...],
        make: Callable[[plan.Op, tuple[object, ...]], plan.Term],
    ) -> plan.Term:
        self.check_op(where, op, "eq gt ge lt le set", "a date")
        if op == "set":
            return make("set", ())
        return date_term(op, instant(values[0], self.text, self.at), make)

    def member(
        self, where: tuple[str, int, int], kind: str, op: str, values: tuple[Value, ...]
    ) -> plan.Term:
        self.check_op(where, op, "eq in set", kind)
        names = tuple(text_of(v) for v in values)
        known = self.catalog.tags if kind == "tag" else self.catalog.lists
        for name in names:
            if name not in known:
                hint = suggest(name, known)
                note = f" (did you mean '{hint}'?)" if hint else ""
                self.warnings.append(f"no {kind} named '{name}'{note}: it matches no one")
        ids = tuple(sorted({known[n] for n in names if n in known}))
        return plan.Member("tag" if kind == "tag" else "list", names, ids)

    def segment(self, where: tuple[str, int, int], op: str, values: tuple[Value, ...]) -> plan.Term:
        self.check_op(where, op, "eq in", "a saved segment")
        terms: list[plan.Term] = []
        for value in values:
            name = text_of(value)
            if name not in self.catalog.segments:
                hint = suggest(name, self.catalog.segments)
                message = f"no saved segment named '{name}'"
                if hint:
                    message += f" — did you mean '{hint}'?"
                raise self.error(message, value.pos, value.end, suggestion=hint)
            chain = (*self.outer, name)
            if name in self.outer or len(chain) > MAX_SEGMENT_DEPTH:
                raise self.error(
                    f"segment '{name}' refers to itself: {' → '.join(chain)}",
                    value.pos,
                    value.end,
                )
            inner = _Binder(
                self.catalog.segments[name], self.catalog, self.at, self.keyring, self.region, chain
            )
            try:
                term = inner.term(parse(inner.text))
            except QueryError as exc:
                raise self.error(
                    f"saved segment '{name}' no longer works: {exc.message}", value.pos, value.end
                ) from exc
            if plan.sendables(term):
                raise self.error(
                    f"saved segment '{name}' uses sendable, which cannot be nested in another "
                    "segment; repeat its query instead",
                    value.pos,
                    value.end,
                )
            self.warnings.extend(inner.warnings)
            terms.append(term)
        return terms[0] if len(terms) == 1 else plan.AnyOf(tuple(terms))

    def identity(
        self, where: tuple[str, int, int], kind: str, op: str, values: tuple[Value, ...]
    ) -> plan.Term:
        name, pos, end = where
        if op not in ("eq", "in"):
            raise self.error(
                f"{name} matches exactly (it is stored encrypted): use = or in", pos, end
            )
        if kind == "name":
            terms: list[plan.Term] = []
            for value in values:
                words = codec.tokenize(text_of(value))
                if not words:
                    raise self.error("a name needs letters or digits", value.pos, value.end)
                indexes = tuple(sorted(self.keyring.blind_index("name", w) for w in words))
                terms.append(plan.Identity("name", indexes))
            return terms[0] if len(terms) == 1 else plan.AnyOf(tuple(terms))
        if kind == "email":
            found = {codec.email_index(self.keyring, text_of(v)) for v in values}
            return plan.Identity("email", tuple(sorted(found)))
        numbers: set[bytes] = set()
        for value in values:
            try:
                e164 = normalize(text_of(value), self.region).e164
            except ValidationError as exc:
                raise self.error(
                    f"not a phone number: {exc.message}", value.pos, value.end
                ) from exc
            numbers.add(codec.phone_index(self.keyring, e164))
        return plan.Identity("number", tuple(sorted(numbers)))

    def yes_no(
        self, where: tuple[str, int, int], op: str, values: tuple[Value, ...], fact: plan.Term
    ) -> plan.Term:
        self.check_op(where, op, "eq in", "yes or no")
        answers = {boolean(v, self.text) for v in values}
        if answers == {True, False}:
            return plan.AnyOf((fact, plan.Negate(fact)))
        return fact if answers == {True} else plan.Negate(fact)

    def policy(
        self, where: tuple[str, int, int], parts: list[str], op: str, values: tuple[Value, ...]
    ) -> plan.Term:
        kind, channel, purpose = parts
        name, pos, end = where
        for given, choices, what in (
            (channel, CHANNELS, "channel"),
            (purpose, PURPOSES, "purpose"),
        ):
            if given not in choices:
                hint = suggest(given, choices)
                message = f"unknown {what} '{given}' in {name}: one of {', '.join(choices)}"
                raise self.error(message, pos, end, suggestion=hint)
        if kind == "sendable":
            return self.yes_no(where, op, values, plan.Sendable(channel, purpose, self.at))
        self.check_op(where, op, "eq in set", "a consent state")
        if op == "set":
            states = frozenset(plan.CONSENT_VALUES) - {"none"}
        else:
            states = frozenset(
                self.known(v, text_of(v).lower(), plan.CONSENT_VALUES, "consent state")
                for v in values
            )
        return plan.Consent(channel, purpose, states, self.at)

    def custom(
        self, where: tuple[str, int, int], name: str, op: str, values: tuple[Value, ...]
    ) -> plan.Term:
        info = self.catalog.custom[name]
        _, pos, end = where
        if info.sensitive:
            raise self.error(
                f"custom field '{name}' is sensitive (stored encrypted) and cannot be queried",
                pos,
                end,
            )
        if op == "set":
            return plan.Custom(info.id, info.type, "set")
        if info.type in ("text", "choice"):
            self.check_op(where, op, "eq in contains set", info.type)
            texts = tuple(text_of(v) for v in values)
            if info.type == "choice" and op != "contains":
                texts = tuple(
                    self.known(v, t, info.choices, f"choice for {name}")
                    for v, t in zip(values, texts, strict=True)
                )
            if info.type == "text" or op == "contains":
                texts = tuple(fold(t) for t in texts)
            return plan.Custom(info.id, info.type, op, texts)  # type: ignore[arg-type]
        if info.type == "number":
            self.check_op(where, op, "eq in gt ge lt le set", "a number")
            numbers = tuple(number(v, self.text) for v in values)
            return plan.Custom(info.id, "number", op, numbers)  # type: ignore[arg-type]
        if info.type == "boolean":
            self.check_op(where, op, "eq in set", "yes or no")
            answers = tuple(sorted({boolean(v, self.text) for v in values}))
            return plan.Custom(info.id, "boolean", "in", answers)
        self.check_op(where, op, "eq in gt ge lt le set", "a date")
        days = tuple(day(v, self.text, self.at) for v in values)
        return plan.Custom(info.id, "date", op, days)  # type: ignore[arg-type]
