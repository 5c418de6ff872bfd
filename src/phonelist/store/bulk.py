"""The fastest way each backend takes many rows: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

Used by the importer's batches, inside their transaction. Values are converted here to what
the column types store (UTC datetimes, JSON, booleans) exactly as SQLAlchemy would, so rows
written this way read back through the models unchanged (a test checks it). Going to the
driver skips SQLAlchemy's per-row parameter processing, which costs more than the insert.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

__all__ = ["insert_rows", "select_in"]


def insert_rows(
    session: Session, table: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect.name
    converters = [
        (i, _memo(convert))
        for i, name in enumerate(columns)
        if (convert := _converter(table.c[name].type, dialect)) is not None
    ]
    if converters:
        converted = []
        for row in rows:
            values = list(row)
            for i, convert in converters:
                if values[i] is not None:
                    values[i] = convert(values[i])
            converted.append(values)
        rows = converted
    raw = connection.connection.dbapi_connection
    assert raw is not None
    quote = connection.dialect.identifier_preparer.quote  # "column" is a reserved word
    names = ", ".join(quote(name) for name in columns)
    refused = connection.dialect.dbapi.IntegrityError  # type: ignore[union-attr]
    try:
        if dialect == "postgresql":
            statement = f"COPY {table.name} ({names}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
            return
        statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 (names come from the schema)
        cursor = raw.cursor()
        try:
            cursor.executemany(statement, rows)
        finally:
            cursor.close()
    except refused as exc:
        # As SQLAlchemy would raise it, so that the store turns it into UniqueViolation (the
        # importer then checks the batch again) or a clear refusal.
        raise IntegrityError(statement, None, exc) from exc


def select_in(
    session: Session, template: str, first: Any, values: Sequence[Any], chunk: int = 5_000
) -> Iterator[tuple[Any, ...]]:
    """Rows of ``template`` (SQL with ``{first}`` for one value and ``{values}`` for a list),
    read through the driver in chunks: SQLAlchemy's per-value processing of thousands of
    blind indexes cost more than the look-up. Values are always bound, never inlined."""
    connection = session.connection()
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        for start in range(0, len(values), chunk):
            part = values[start : start + chunk]
            sql = template.format(first=mark, values=", ".join([mark] * len(part)))
            cursor.execute(sql, (first, *part))
            yield from cursor.fetchall()
    finally:
        cursor.close()


def _memo(convert: Any) -> Any:
    """Batches repeat one timestamp on every row: convert it once."""
    last: list[Any] = [object(), None]

    def cached(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return cached


def _converter(column_type: Any, dialect: str) -> Any:
    if isinstance(column_type, JSON):
        return json.dumps
    if isinstance(column_type, DateTime) or isinstance(
        getattr(column_type, "impl", None), DateTime
    ):
        return _utc_naive_text if dialect == "sqlite" else _utc_naive
    if isinstance(column_type, Date) and dialect == "sqlite":
        return dt.date.isoformat
    if isinstance(column_type, Boolean) and dialect == "sqlite":
        return int
    return None


def _utc_naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _utc_naive_text(value: dt.datetime) -> str:
    return _utc_naive(value).strftime("%Y-%m-%d %H:%M:%S.%f")
