"""Plans to SQL: one WHERE clause over ``contact_facts``, every value a bound parameter.

Runs unchanged on SQLite and PostgreSQL. ``contact_facts`` holds one narrow row per contact with
everything a segment reads except custom fields, names, emails and numbers (kept by triggers:
see :class:`phonelist.store.segment_models.ContactFacts`), so that most queries are one scan of
one table or one index range; the others become ``contact_id IN (SELECT ...)``. docs/segments.md,
"Speed", has the measurements behind this. Every clause is two-valued (never NULL), so ``NOT``
means what it says.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    String,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from phonelist.folding import FOLD_FROM, FOLD_TO
from phonelist.segments import plan
from phonelist.store.models import CustomValue, Email, NameToken, PhoneNumber
from phonelist.store.segment_models import ContactFacts

__all__ = ["COLUMNS", "SENT_STATUSES", "compile_term"]

F = ContactFacts
COLUMNS: dict[str, Any] = {
    "contact.country": F.country,
    "contact.region": F.region,
    "contact.city": F.city,
    "contact.postal_code": F.postal_code,
    "contact.time_zone": F.time_zone,
    "contact.status": F.status,
    "contact.source": F.source,
    "contact.created_at": F.created_at,
    "contact.updated_at": F.updated_at,
    "contact.last_contacted_at": F.last_contacted_at,
    "phone.number_type": F.number_type,
    "phone.region": F.number_region,
    "phone.carrier": F.carrier,
}
SENT_STATUSES = ("sent", "delivered")  # what counts as "sent" (the facts' triggers say the same)


class folded(FunctionElement[str]):
    """The text case-folded exactly like :func:`phonelist.folding.fold`."""

    type = String()
    inherit_cache = True
    name = "folded"


@compiles(folded)
def _fold_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"pl_fold({compiler.process(element.clauses, **kw)})"  # registered by store.engine


@compiles(folded, "postgresql")
def _fold_pg(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    return f"translate({text}, '{FOLD_FROM}', '{FOLD_TO}')"


class position_of(FunctionElement[int]):
    """Where ``needle`` starts in ``haystack`` (from 1; 0 when absent). No LIKE, so ``%`` and
    ``_`` in a value are plain characters."""

    type = Integer()
    inherit_cache = True
    name = "position_of"


@compiles(position_of)
def _position_sqlite(element: position_of, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"instr({haystack}, {needle})"


@compiles(position_of, "postgresql")
def _position_pg(element: position_of, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"strpos({haystack}, {needle})"


class _Member(ColumnElement[bool]):
    """``contact_facts.contact_id`` is among the ``contact_id`` values ``query`` selects.

    SQLite gets ``IN (SELECT ...)``: measured 1.5-15 times faster than a correlated EXISTS,
    whatever its statistics. PostgreSQL gets a correlated ``EXISTS``: under ``NOT`` it becomes a
    hashed anti-join, where ``NOT IN (SELECT ...)`` checks every row against the whole list
    once the list outgrows ``work_mem`` (minutes at 1M contacts; docs/segments.md, "Speed").
    """

    type = Boolean()
    inherit_cache = False

    def __init__(self, query: Any) -> None:
        self.query = query


@compiles(_Member)
def _member_sqlite(element: _Member, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(F.contact_id.in_(element.query), **kw)


@compiles(_Member, "postgresql")
def _member_pg(element: _Member, compiler: SQLCompiler, **kw: Any) -> str:
    inner = element.query.subquery()
    (column,) = inner.c
    correlated = exists().where(column == F.contact_id)
    return compiler.process(correlated, **kw)


def _member(query: Any) -> ColumnElement[bool]:
    return _Member(query)


def compile_term(term: plan.Term, workspace_id: int) -> ColumnElement[bool]:
    """The WHERE clause, over ``ContactFacts``, of the contacts the term matches.

    The caller adds ``ContactFacts.workspace_id == workspace_id``; subqueries are scoped here.
    """
    return _Compiler(workspace_id).term(term)


class _Compiler:
    def __init__(self, workspace_id: int) -> None:
        self.ws = workspace_id

    def term(self, term: plan.Term) -> ColumnElement[bool]:
        if isinstance(term, plan.AllOf):
            return and_(true(), *(self.term(t) for t in term.operands))
        if isinstance(term, plan.AnyOf):
            return or_(false(), *(self.term(t) for t in term.operands))
        if isinstance(term, plan.Negate):
            return not_(self.term(term.operand))
        if isinstance(term, plan.Scalar):
            column = COLUMNS[term.column]
            return and_(column.is_not(None), compare(column, term.op, term.values, term.fold))
        if isinstance(term, plan.Custom):
            return self.custom(term)
        if isinstance(term, plan.Member):
            return self.member(term)
        if isinstance(term, plan.Consent):
            return self.consent(term)
        if isinstance(term, plan.Flag):
            return F.suppressed == true()
        if isinstance(term, plan.History):
            column = F.last_out if term.direction == "out" else F.last_in
            return and_(column.is_not(None), compare(column, term.op, term.values, False))
        if isinstance(term, plan.Identity):
            return self.identity(term)
        raise TypeError(f"{type(term).__name__} has no SQL form; the service decides it")

    def custom(self, term: plan.Custom) -> ColumnElement[bool]:
        column = {
            "text": CustomValue.value_text,
            "choice": CustomValue.value_text,
            "number": CustomValue.value_number,
            "date": CustomValue.value_date,
            "boolean": CustomValue.value_bool,
        }[term.type]
        case_folded = term.type == "text" or term.op == "contains"
        condition = and_(column.is_not(None), compare(column, term.op, term.values, case_folded))
        return _member(
            select(CustomValue.contact_id).where(CustomValue.field_id == term.field_id, condition)
        )

    def member(self, term: plan.Member) -> ColumnElement[bool]:
        """``tags`` and ``lists`` hold ids as ``|3|17|``: a test of a string, no join."""
        column = F.tags if term.kind == "tag" else F.lists
        if not term.names:
            return column != "|"
        return or_(false(), *(position_of(column, f"|{i}|") > 0 for i in term.ids))

    def consent(self, term: plan.Consent) -> ColumnElement[bool]:
        status = getattr(F, f"{term.channel}_{term.purpose}")
        expires = getattr(F, f"{term.channel}_{term.purpose}_expires")
        clauses = []
        for value in sorted(term.states):
            if value == "none":
                clauses.append(status.is_(None))
            elif value == "granted":
                in_force = or_(expires.is_(None), expires > term.at)
                clauses.append(and_(status.is_not(None), status == "granted", in_force))
            elif value == "expired":
                ended = and_(expires.is_not(None), expires <= term.at)
                clauses.append(and_(status.is_not(None), status == "granted", ended))
            else:
                clauses.append(and_(status.is_not(None), status == value))
        return or_(false(), *clauses)

    def identity(self, term: plan.Identity) -> ColumnElement[bool]:
        if term.kind == "name":
            return _member(
                select(NameToken.contact_id)
                .where(NameToken.workspace_id == self.ws, NameToken.token_index.in_(term.indexes))
                .group_by(NameToken.contact_id)
                .having(func.count() == literal(len(term.indexes)))
            )
        if term.kind == "email":
            return _member(
                select(Email.contact_id).where(
                    Email.workspace_id == self.ws, Email.email_index.in_(term.indexes)
                )
            )
        return _member(
            select(PhoneNumber.contact_id).where(
                PhoneNumber.workspace_id == self.ws, PhoneNumber.e164_index.in_(term.indexes)
            )
        )


def compare(
    column: Any, op: str, values: tuple[object, ...], case_folded: bool
) -> ColumnElement[bool]:
    """One comparison of a non-NULL column; the binder folded the values when ``case_folded``."""
    subject = folded(column) if case_folded or op == "contains" else column
    if op == "set":
        return column.is_not(None)  # type: ignore[no-any-return]
    if op == "contains":
        return position_of(subject, values[0]) > 0
    if op == "in":
        return subject.in_(values)
    (value,) = values
    result: ColumnElement[bool] = {
        "eq": lambda: subject == value,
        "gt": lambda: subject > value,
        "ge": lambda: subject >= value,
        "lt": lambda: subject < value,
        "le": lambda: subject <= value,
    }[op]()
    return result
