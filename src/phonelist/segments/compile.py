"""Plans to SQL: one WHERE clause over ``contacts``, every value a bound parameter.

Runs unchanged on SQLite and PostgreSQL. Facts of other tables (the primary number, tags,
consent, messages...) become ``contacts.id IN (SELECT contact_id ...)``: SQLite can then drive
the query from whichever side is more selective (docs/segments.md, "Speed", has the measurements
behind each shape). Every clause is two-valued (never NULL), so ``NOT`` means what it says.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    String,
    and_,
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
from phonelist.store.consent_models import ConsentState, Message
from phonelist.store.models import (
    Contact,
    ContactList,
    ContactTag,
    CustomValue,
    Email,
    ListMember,
    NameToken,
    PhoneNumber,
    Suppression,
    Tag,
)

__all__ = ["COLUMNS", "SENT_STATUSES", "compile_term"]

COLUMNS: dict[str, Any] = {
    "contact.country": Contact.country,
    "contact.region": Contact.region,
    "contact.city": Contact.city,
    "contact.postal_code": Contact.postal_code,
    "contact.time_zone": Contact.time_zone,
    "contact.status": Contact.status,
    "contact.source": Contact.source,
    "contact.created_at": Contact.created_at,
    "contact.updated_at": Contact.updated_at,
    "contact.last_contacted_at": Contact.last_contacted_at,
    "phone.number_type": PhoneNumber.number_type,
    "phone.region": PhoneNumber.region,
    "phone.carrier": PhoneNumber.carrier,
}
SENT_STATUSES = ("sent", "delivered")


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


class contains_text(FunctionElement[bool]):
    """``needle`` occurs in ``haystack``: no LIKE, so ``%`` and ``_`` in a value are plain."""

    type = Boolean()
    inherit_cache = True
    name = "contains_text"


@compiles(contains_text)
def _contains_sqlite(element: contains_text, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"(instr({haystack}, {needle}) > 0)"


@compiles(contains_text, "postgresql")
def _contains_pg(element: contains_text, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"(strpos({haystack}, {needle}) > 0)"


def compile_term(term: plan.Term, workspace_id: int) -> ColumnElement[bool]:
    """The WHERE clause (over ``Contact``) of the contacts the term matches."""
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
            return self.scalar(term)
        if isinstance(term, plan.Custom):
            return self.custom(term)
        if isinstance(term, plan.Member):
            return self.member(term)
        if isinstance(term, plan.Consent):
            return self.consent(term)
        if isinstance(term, plan.Flag):
            return self.suppressed()
        if isinstance(term, plan.History):
            return self.history(term)
        if isinstance(term, plan.Identity):
            return self.identity(term)
        raise TypeError(f"{type(term).__name__} has no SQL form; the service decides it")

    # -- the contact and its primary number ------------------------------------------------------
    def scalar(self, term: plan.Scalar) -> ColumnElement[bool]:
        column = COLUMNS[term.column]
        condition = and_(column.is_not(None), compare(column, term.op, term.values, term.fold))
        if term.column.startswith("contact."):
            return condition
        return self.primary(select(PhoneNumber.contact_id).where(condition))

    def primary(self, query: Any) -> ColumnElement[bool]:
        """Contacts whose primary number is in ``query`` (which selects from PhoneNumber)."""
        return Contact.id.in_(
            query.where(PhoneNumber.workspace_id == self.ws, PhoneNumber.is_primary.is_(True))
        )

    def joined(self, model: Any, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        """Contacts whose primary number has a row of ``model`` (keyed by number) matching."""
        return self.primary(
            select(PhoneNumber.contact_id)
            .join(
                model,
                and_(
                    model.workspace_id == PhoneNumber.workspace_id,
                    model.e164_index == PhoneNumber.e164_index,
                ),
            )
            .where(condition)
        )

    # -- other tables ---------------------------------------------------------------------------
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
        return Contact.id.in_(
            select(CustomValue.contact_id).where(CustomValue.field_id == term.field_id, condition)
        )

    def member(self, term: plan.Member) -> ColumnElement[bool]:
        if term.kind == "tag":
            query = select(ContactTag.contact_id).join(Tag, Tag.id == ContactTag.tag_id)
            query = query.where(Tag.workspace_id == self.ws)
            if term.names:
                query = query.where(Tag.name.in_(term.names))
        else:
            query = select(ListMember.contact_id).join(
                ContactList, ContactList.id == ListMember.list_id
            )
            query = query.where(ContactList.workspace_id == self.ws)
            if term.names:
                query = query.where(ContactList.name.in_(term.names))
        return Contact.id.in_(query)

    def consent(self, term: plan.Consent) -> ColumnElement[bool]:
        state = ConsentState
        matches = []
        for value in sorted(term.states - {"none"}):
            if value == "granted":
                matches.append(
                    and_(
                        state.status == "granted",
                        or_(state.expires_at.is_(None), state.expires_at > term.at),
                    )
                )
            elif value == "expired":
                matches.append(and_(state.status == "granted", state.expires_at <= term.at))
            else:
                matches.append(state.status == value)
        key = and_(state.channel == term.channel, state.purpose == term.purpose)
        clauses = []
        if matches:
            clauses.append(self.joined(state, and_(key, or_(*matches))))
        if "none" in term.states:
            clauses.append(not_(self.joined(state, key)))
        return or_(*clauses) if clauses else false()

    def suppressed(self) -> ColumnElement[bool]:
        return self.joined(Suppression, Suppression.lifted_at.is_(None))

    def history(self, term: plan.History) -> ColumnElement[bool]:
        """Compares the newest message's instant through existence: no per-contact MAX."""
        kind = Message.direction == term.direction
        if term.direction == "out":
            kind = and_(kind, Message.status.in_(SENT_STATUSES))
        any_message = self.joined(Message, kind)
        if term.op == "set":
            return any_message
        (instant,) = term.values
        if term.op in ("gt", "ge"):
            newer = Message.at > instant if term.op == "gt" else Message.at >= instant
            return self.joined(Message, and_(kind, newer))
        not_older = Message.at >= instant if term.op == "lt" else Message.at > instant
        return and_(any_message, not_(self.joined(Message, and_(kind, not_older))))

    def identity(self, term: plan.Identity) -> ColumnElement[bool]:
        if term.kind == "name":
            return Contact.id.in_(
                select(NameToken.contact_id)
                .where(NameToken.workspace_id == self.ws, NameToken.token_index.in_(term.indexes))
                .group_by(NameToken.contact_id)
                .having(func.count() == literal(len(term.indexes)))
            )
        if term.kind == "email":
            return Contact.id.in_(
                select(Email.contact_id).where(
                    Email.workspace_id == self.ws, Email.email_index.in_(term.indexes)
                )
            )
        return Contact.id.in_(
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
        return contains_text(subject, values[0])
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
