"""Segments: a small typed query language over contacts, compiled to SQL or evaluated in memory.

:func:`parse` reads a query into a tree (:mod:`phonelist.segments.ast`); the binder resolves it
against a workspace into a plan; :func:`phonelist.segments.compile.compile_term` makes it one
SQL clause, :func:`phonelist.segments.evaluate.matches` decides one contact in memory, with the
same meaning. :class:`SegmentService` is what the faces call. docs/segments.md is the guide.
"""

from phonelist.segments.ast import to_text
from phonelist.segments.errors import QueryError
from phonelist.segments.parse import parse
from phonelist.segments.service import Count, SavedSegment, SegmentService

__all__ = ["Count", "QueryError", "SavedSegment", "SegmentService", "parse", "to_text"]
