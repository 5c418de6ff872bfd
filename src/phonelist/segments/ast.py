"""The parsed form of a segment query, and its canonical text.

The parser (:func:`phonelist.segments.parse.parse`) builds these frozen nodes; the binder checks
their fields and values against what segments support. Every position is a 0-based character
offset into the query text, so errors found later can still point at the words the user wrote.
:func:`to_text` writes a node back as canonical text (upper-case keywords, double-quoted strings,
explicit ``AND``, parentheses around every nested ``AND``/``OR``): saved segments are stored in
that form, and parsing it gives back an equal tree apart from positions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "And",
    "Compare",
    "InList",
    "IsSet",
    "Node",
    "Not",
    "Operator",
    "Or",
    "Pos",
    "Value",
    "ValueKind",
    "strip_positions",
    "to_text",
    "value_text",
]

Pos: TypeAlias = int
ValueKind: TypeAlias = Literal["string", "number", "reldate", "date", "datetime", "word", "bool"]
Operator: TypeAlias = Literal["=", "!=", "~", ">", ">=", "<", "<="]
Parsed: TypeAlias = str | float | bool | tuple[int, str] | dt.date | dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Value:
    """A literal on the right of an operator or in an ``IN`` list.

    ``raw`` is the text as written (for strings: without quotes, escapes resolved); ``parsed`` is
    what it means: ``str`` (string, word), ``float`` (number), ``bool``, ``(amount, unit)`` for a
    relative date such as ``-30d`` (``(-30, "d")``; units h d w m y, m = months),
    ``datetime.date``, or an aware UTC ``datetime.datetime``.
    """

    kind: ValueKind
    raw: str
    parsed: Parsed
    pos: Pos = 0
    end: Pos = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Compare:
    """``field op value``; ``field`` is dotted and lower-cased, ``==`` arrives as ``=``."""

    field: str
    op: Operator
    value: Value
    field_pos: Pos = 0
    field_end: Pos = 0
    op_pos: Pos = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class InList:
    """``field IN (v, ...)``, or ``field NOT IN (...)`` when ``negated``."""

    field: str
    values: tuple[Value, ...]
    negated: bool = False
    field_pos: Pos = 0
    field_end: Pos = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class IsSet:
    """``field IS SET`` (also written ``HAS field``), or ``IS NOT SET`` when ``negated``."""

    field: str
    negated: bool = False
    field_pos: Pos = 0
    field_end: Pos = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Not:
    """``NOT operand``; ``pos`` is where the ``NOT`` keyword starts."""

    operand: Node
    pos: Pos = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class And:
    """All operands hold; flattened, so an ``And`` never directly holds an ``And``."""

    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Or:
    """Any operand holds; flattened, so an ``Or`` never directly holds an ``Or``."""

    operands: tuple[Node, ...]


Node: TypeAlias = Compare | InList | IsSet | Not | And | Or


def to_text(node: Node) -> str:
    """The canonical text of ``node``: parsing it gives an equal tree apart from positions."""
    if isinstance(node, Compare):
        return f"{node.field} {node.op} {value_text(node.value)}"
    if isinstance(node, InList):
        values = ", ".join(value_text(v) for v in node.values)
        return f"{node.field} {'NOT IN' if node.negated else 'IN'} ({values})"
    if isinstance(node, IsSet):
        return f"{node.field} IS {'NOT ' if node.negated else ''}SET"
    if isinstance(node, Not):
        return f"NOT {_operand_text(node.operand)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return joiner.join(_operand_text(operand) for operand in node.operands)


def value_text(value: Value) -> str:
    """A value as query text: strings double-quoted with ``\\`` and ``"`` escaped, others raw."""
    if value.kind == "string":
        return '"' + value.raw.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value.raw


def _operand_text(node: Node) -> str:
    # Parentheses around nested AND/OR even where precedence would not need them: easier to read.
    return f"({to_text(node)})" if isinstance(node, And | Or) else to_text(node)


def strip_positions(node: Node) -> Node:
    """``node`` with every position set to 0, to compare trees parsed from different texts."""
    if isinstance(node, Compare):
        return Compare(field=node.field, op=node.op, value=_strip_value(node.value))
    if isinstance(node, InList):
        values = tuple(_strip_value(v) for v in node.values)
        return InList(field=node.field, values=values, negated=node.negated)
    if isinstance(node, IsSet):
        return IsSet(field=node.field, negated=node.negated)
    if isinstance(node, Not):
        return Not(operand=strip_positions(node.operand))
    return type(node)(operands=tuple(strip_positions(o) for o in node.operands))


def _strip_value(value: Value) -> Value:
    return dataclasses.replace(value, pos=0, end=0)
