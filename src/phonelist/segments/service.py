"""Segments against the store: count, list, export and freeze the contacts a query selects,
and keep named queries (saved segments), which are evaluated each time they are used.

Everything but ``sendable`` is one SQL statement. ``sendable.<channel>.<purpose>`` asks the
policy engine, so it is allowed only as a condition of the whole query (joined with AND at
the top): the SQL selects the rest, then the engine's bulk path decides those contacts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import IO, Any

from sqlalchemy import ColumnElement, and_, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from phonelist.audit import record
from phonelist.clock import utcnow
from phonelist.contacts.fields import load_fields
from phonelist.contacts.queries import ContactQueries, Page, Selection, check_name, workspace_of
from phonelist.errors import Conflict, NotFound
from phonelist.exports.service import ExportService, Progress
from phonelist.policy.service import PolicyService
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.segments import plan
from phonelist.segments.ast import And, Compare, InList, Node, Not, Or, Value, to_text
from phonelist.segments.bind import Bound, Catalog, CustomInfo, bind
from phonelist.segments.compile import compile_term
from phonelist.segments.errors import QueryError
from phonelist.segments.evaluate import matches as evaluate
from phonelist.segments.fields import FieldInfo, describe_fields
from phonelist.segments.parse import MAX_LENGTH, parse
from phonelist.segments.views import load_views
from phonelist.store import Store
from phonelist.store.models import Contact, ContactList, ListMember, Tag
from phonelist.store.segment_models import ContactFacts as Facts
from phonelist.store.segment_models import Segment

__all__ = ["Count", "Prepared", "SavedSegment", "SegmentService"]

CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class SavedSegment:
    name: str
    query: str
    description: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: Segment) -> SavedSegment:
        return cls(
            row.name, row.query, row.description, row.created_by, row.created_at, row.updated_at
        )


@dataclass(frozen=True, slots=True)
class Count:
    count: int
    query: str  # as evaluated: a saved segment's name becomes segment = "name"
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A bound query split into what SQL decides and what the policy engine decides."""

    text: str
    at: dt.datetime
    bound: Bound
    sql: plan.Term | None  # None: every contact
    decided: tuple[tuple[plan.Sendable, bool], ...]  # (term, wanted answer)


class SegmentService:
    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        contacts: ContactQueries,
        exports: ExportService,
        policy: PolicyService,
        default_region: str,
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.contacts = contacts
        self.exports = exports
        self.policy = policy
        self.default_region = default_region

    # -- preparing a query ----------------------------------------------------------------------
    def catalog(self, session: Session, workspace_id: int) -> Catalog:
        workspace = workspace_of(session, workspace_id)
        custom = {
            name: CustomInfo(row.id, row.type, tuple(row.choices or ()), bool(row.sensitive))
            for name, row in load_fields(session, workspace_id).items()
        }
        segments = {
            name: query
            for name, query in session.execute(
                select(Segment.name, Segment.query).where(Segment.workspace_id == workspace_id)
            )
        }
        tags = {
            name: id_
            for name, id_ in session.execute(
                select(Tag.name, Tag.id).where(Tag.workspace_id == workspace_id)
            )
        }
        lists = {
            name: id_
            for name, id_ in session.execute(
                select(ContactList.name, ContactList.id).where(
                    ContactList.workspace_id == workspace_id
                )
            )
        }
        return Catalog(tuple(workspace.statuses), custom, segments, tags, lists)

    def prepare(self, actor: Actor, query: str, *, at: dt.datetime | None = None) -> Prepared:
        """Bind ``query`` (or the name of a saved segment) for ``actor``'s workspace."""
        actor.require(Permission.CONTACTS_READ)
        at = at or utcnow()
        with self.store.read() as session:
            catalog = self.catalog(session, actor.workspace_id)
        text = query.strip()
        if text in catalog.segments:
            text = f'segment = "{_quoted(text)}"'
        bound = bind(text, catalog, at=at, keyring=self.keyring, default_region=self.default_region)
        sql, decided = _split(bound.term, text)
        return Prepared(text, at, bound, sql, decided)

    def where(self, actor: Actor, prepared: Prepared) -> ColumnElement[bool]:
        """The SQL part of the query as a clause over ``ContactFacts``, workspace included."""
        clause = compile_term(prepared.sql or plan.AllOf(()), actor.workspace_id)
        # "+ 0": not an index on the workspace (it holds nearly every row), so that SQLite
        # either uses an index of the query's own facts or scans the table in order.
        return and_(Facts.workspace_id + 0 == actor.workspace_id, clause)

    def selection(self, actor: Actor, prepared: Prepared) -> Selection:
        # Correlated, so that a page reads only as many facts rows as it needs.
        where = exists().where(Facts.contact_id == Contact.id, self.where(actor, prepared))
        keep = None
        if prepared.decided:

            def keep(ids: list[str]) -> set[str]:
                return self._decide(actor, prepared, ids)

        return Selection(for_audit(prepared.text), where, keep)

    def fields(self, actor: Actor) -> list[FieldInfo]:
        """Every field a query may name in ``actor``'s workspace, with one line about each."""
        actor.require(Permission.CONTACTS_READ)
        with self.store.read() as session:
            return describe_fields(self.catalog(session, actor.workspace_id))

    # -- reading --------------------------------------------------------------------------------
    def count(self, actor: Actor, query: str, *, at: dt.datetime | None = None) -> Count:
        return self._count(actor, self.prepare(actor, query, at=at))

    def ids(self, actor: Actor, query: str, *, at: dt.datetime | None = None) -> Iterator[str]:
        """The ids of the matching contacts, in id order, read a chunk at a time."""
        yield from self._ids(actor, self.prepare(actor, query, at=at))  # prepared on first next()

    def _count(self, actor: Actor, prepared: Prepared) -> Count:
        if prepared.decided:
            total = sum(1 for _ in self._ids(actor, prepared))
        else:
            counting = select(func.count()).select_from(Facts).where(self.where(actor, prepared))
            with self.store.read() as session:
                total = int(session.scalar(counting) or 0)
        return Count(total, prepared.text, prepared.bound.warnings)

    def _ids(self, actor: Actor, prepared: Prepared) -> Iterator[str]:
        where = self.where(actor, prepared)
        after = ""
        while True:
            with self.store.read() as session:
                chunk = list(
                    session.scalars(
                        select(Facts.contact_id)
                        .where(Facts.contact_id > after, where)
                        .order_by(Facts.contact_id)
                        .limit(CHUNK)
                    )
                )
            if not chunk:
                return
            kept = self._decide(actor, prepared, chunk) if prepared.decided else None
            for contact_id in chunk:
                if kept is None or contact_id in kept:
                    yield contact_id
            if len(chunk) < CHUNK:
                return
            after = chunk[-1]

    def page(
        self,
        actor: Actor,
        query: str,
        *,
        limit: int = 50,
        cursor: str | None = None,
        at: dt.datetime | None = None,
    ) -> tuple[Page, Count | None]:
        """One page of matching contacts (and, on the first page, the count)."""
        prepared = self.prepare(actor, query, at=at)
        selection = self.selection(actor, prepared)
        page = self.contacts.page(
            actor,
            limit=limit,
            cursor=cursor,
            where=selection.where,
            keep=selection.keep,
            audit_as="segment.page",
        )
        count = None if cursor else self._count(actor, prepared)
        return page, count

    def matches(
        self, actor: Actor, query: str, contact_id: str, *, at: dt.datetime | None = None
    ) -> bool:
        """Whether one contact matches, decided in memory (no SQL for the query itself)."""
        prepared = self.prepare(actor, query, at=at)
        with self.store.read() as session:
            views = load_views(session, actor.workspace_id, [contact_id])
        if contact_id not in views:
            raise NotFound(f"no contact with id {contact_id!r}", field="id")
        view = views[contact_id]
        wanted = {(t.channel, t.purpose): t for t in plan.sendables(prepared.bound.term)}
        if wanted:
            answers = {
                key: bool(self._decide(actor, _only(term), [contact_id]))
                for key, term in wanted.items()
            }
            view = replace(view, sendable=answers)
        return evaluate(prepared.bound.term, view)

    def _decide(self, actor: Actor, prepared: Prepared, ids: list[str]) -> set[str]:
        kept = set(ids)
        for term, wanted in prepared.decided:
            allowed = {
                contact_id
                for contact_id, decision in self.policy.decide_audience(
                    actor, term.channel, term.purpose, term.at, contact_ids=sorted(kept)
                )
                if decision.allowed
            }
            kept = allowed if wanted else kept - allowed
        return kept

    # -- using the result -----------------------------------------------------------------------
    def export(
        self,
        actor: Actor,
        query: str,
        out: IO[bytes],
        format: str,
        *,
        at: dt.datetime | None = None,
        progress: Progress | None = None,
        **options: Any,
    ) -> int:
        """Write the matching contacts like ``phonelist export`` (audited there)."""
        selection = self.selection(actor, self.prepare(actor, query, at=at))
        return self.exports.export(
            actor, out, format, segment=selection, progress=progress, **options
        )

    def freeze(
        self, actor: Actor, query: str, list_name: str, *, at: dt.datetime | None = None
    ) -> int:
        """Copy the matching contacts into a new static list; returns how many."""
        actor.require(Permission.CONTACTS_WRITE)
        list_name = check_name(list_name.strip(), "list", 100)
        prepared = self.prepare(actor, query, at=at)
        now = utcnow()
        with self.store.write() as session:
            taken = session.scalar(
                select(ContactList.id).where(
                    ContactList.workspace_id == actor.workspace_id, ContactList.name == list_name
                )
            )
            if taken is not None:
                raise Conflict(
                    f"a list named '{list_name}' exists already: freeze into a new list",
                    field="list",
                )
            target = ContactList(workspace_id=actor.workspace_id, name=list_name, created_at=now)
            session.add(target)
            session.flush()
            if prepared.decided:
                ids = list(self._ids(actor, prepared))
                for start in range(0, len(ids), CHUNK):
                    session.execute(
                        insert(ListMember),
                        [
                            {"list_id": target.id, "contact_id": i, "added_at": now}
                            for i in ids[start : start + CHUNK]
                        ],
                    )
                added = len(ids)
            else:
                members = select(
                    literal(target.id), Facts.contact_id, literal(now, ListMember.added_at.type)
                ).where(self.where(actor, prepared))
                session.execute(
                    insert(ListMember).from_select(["list_id", "contact_id", "added_at"], members)
                )
                added = int(  # rowcount of INSERT ... SELECT is not reliable on every driver
                    session.scalar(select(func.count()).where(ListMember.list_id == target.id)) or 0
                )
            record(
                session,
                actor,
                "segment.freeze",
                "list",
                str(target.id),
                {"list": list_name, "query": for_audit(prepared.text), "contacts": added},
            )
        return added

    # -- saved segments -------------------------------------------------------------------------
    def save(
        self,
        actor: Actor,
        name: str,
        query: str,
        *,
        description: str | None = None,
        replace: bool = False,
    ) -> SavedSegment:
        """Save ``query`` under ``name`` (checked now, normalised, evaluated on each use)."""
        actor.require(Permission.SEGMENTS_MANAGE)
        name = check_name(name.strip(), "name", 100)
        if description is not None:
            description = check_name(description, "description", 500)
        prepared = self.prepare(actor, query)
        text = to_text(parse(prepared.text))
        if len(text) > MAX_LENGTH:  # the normal form spells out implicit ANDs: keep the original
            text = prepared.text
        now = utcnow()
        with self.store.write() as session:
            row = _segment(session, actor.workspace_id, name)
            if row is not None and not replace:
                raise Conflict(f"a segment named '{name}' exists already", field="name")
            if row is None:
                row = Segment(
                    workspace_id=actor.workspace_id,
                    name=name,
                    created_by=actor.label,
                    created_at=now,
                )
                session.add(row)
            row.query, row.description, row.updated_at = text, description, now
            session.flush()
            # Bound again with itself saved: a query that reaches its own name is refused.
            catalog = self.catalog(session, actor.workspace_id)
            bind(
                f'segment = "{_quoted(name)}"',
                catalog,
                at=now,
                keyring=self.keyring,
                default_region=self.default_region,
            )
            session.flush()
            record(session, actor, "segment.save", "segment", str(row.id), {"name": name})
            return SavedSegment.of(row)

    def get(self, actor: Actor, name: str) -> SavedSegment:
        actor.require(Permission.CONTACTS_READ)
        with self.store.read() as session:
            row = _segment(session, actor.workspace_id, name)
            if row is None:
                raise NotFound(f"no saved segment named '{name}'", field="name")
            return SavedSegment.of(row)

    def all(self, actor: Actor) -> list[SavedSegment]:
        actor.require(Permission.CONTACTS_READ)
        with self.store.read() as session:
            rows = session.scalars(
                select(Segment)
                .where(Segment.workspace_id == actor.workspace_id)
                .order_by(Segment.name)
            )
            return [SavedSegment.of(row) for row in rows]

    def delete(self, actor: Actor, name: str) -> None:
        """Delete a saved segment that no other saved segment uses."""
        actor.require(Permission.SEGMENTS_MANAGE)
        with self.store.write() as session:
            row = _segment(session, actor.workspace_id, name)
            if row is None:
                raise NotFound(f"no saved segment named '{name}'", field="name")
            catalog = self.catalog(session, actor.workspace_id)
            users = sorted(
                other
                for other, text in catalog.segments.items()
                if other != name and name in _segment_names(text)
            )
            if users:
                raise Conflict(
                    f"segment '{name}' is used by {', '.join(repr(u) for u in users)}",
                    field="name",
                    details={"used_by": users},
                )
            record(session, actor, "segment.delete", "segment", str(row.id), {"name": name})
            session.delete(row)


def _segment(session: Session, workspace_id: int, name: str) -> Segment | None:
    return session.scalar(
        select(Segment).where(Segment.workspace_id == workspace_id, Segment.name == name)
    )


def _quoted(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


_IDENTITY_FIELDS = frozenset({"name", "email", "number", "phone"})
_HIDDEN = Value(kind="string", raw="•••", parsed="•••")


def for_audit(text: str) -> str:
    """The query as the audit log keeps it: names, emails and numbers replaced by •••.

    The log holds no personal data of contacts; the shape of the query is kept.
    """

    def hide(node: Node) -> Node:
        if isinstance(node, And | Or):
            return replace(node, operands=tuple(hide(n) for n in node.operands))
        if isinstance(node, Not):
            return replace(node, operand=hide(node.operand))
        if isinstance(node, Compare) and node.field in _IDENTITY_FIELDS:
            return replace(node, value=_HIDDEN)
        if isinstance(node, InList) and node.field in _IDENTITY_FIELDS:
            return replace(node, values=(_HIDDEN,) * len(node.values))
        return node

    return to_text(hide(parse(text)))


def _segment_names(text: str) -> set[str]:
    """The saved segments a stored (valid) query names."""
    names: set[str] = set()
    stack: list[Node] = [parse(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, And | Or):
            stack.extend(node.operands)
        elif isinstance(node, Not):
            stack.append(node.operand)
        elif isinstance(node, Compare | InList) and node.field in ("segment", "segments"):
            values = node.values if isinstance(node, InList) else (node.value,)
            names.update(str(v.parsed) if v.kind == "string" else v.raw for v in values)
    return names


def _split(
    term: plan.Term, text: str
) -> tuple[plan.Term | None, tuple[tuple[plan.Sendable, bool], ...]]:
    """Separate the top-level ``sendable`` conditions from what SQL can decide."""
    if not plan.sendables(term):
        return term, ()
    operands = term.operands if isinstance(term, plan.AllOf) else (term,)
    rest: list[plan.Term] = []
    decided: list[tuple[plan.Sendable, bool]] = []
    for operand in operands:
        if isinstance(operand, plan.Sendable):
            decided.append((operand, True))
        elif isinstance(operand, plan.Negate) and isinstance(operand.operand, plan.Sendable):
            decided.append((operand.operand, False))
        elif plan.sendables(operand):
            raise QueryError(
                "sendable can only be combined with the rest of the query by AND "
                "(not inside OR, or NOT of a group)",
                query=text,
                pos=max(text.find("sendable"), 0),
                end=max(text.find("sendable"), 0) + len("sendable"),
            )
        else:
            rest.append(operand)
    sql = None if not rest else rest[0] if len(rest) == 1 else plan.AllOf(tuple(rest))
    return sql, tuple(decided)


def _only(term: plan.Sendable) -> Prepared:
    """A prepared query of just ``term``, to ask the engine about one contact."""
    return Prepared("", term.at, Bound(term, ()), None, ((term, True),))
