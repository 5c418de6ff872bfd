"""The engine factory and the one place where database errors become phonelist errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from phonelist.errors import StoreError, ValidationError
from phonelist.folding import fold

__all__ = ["Store", "UniqueViolation", "build_engine"]


class UniqueViolation(StoreError):
    """A unique constraint refused a write; the service that wrote turns it into a Conflict."""

    code = "conflict"
    status = 409
    exit_code = 4

    def __init__(self, constraint: str) -> None:
        super().__init__(f"unique constraint {constraint} refused the write")
        self.constraint = constraint


def build_engine(url: str, *, sqlite_busy_timeout_ms: int = 30_000) -> Engine:
    """Build an engine from a URL; SQLite gets WAL, foreign keys, IMMEDIATE writes."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine, sqlite_busy_timeout_ms)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=40)


def _fold(value: str | None) -> str | None:
    return fold(value) if isinstance(value, str) else value


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    # pysqlite's own transaction handling is turned off so that we can say BEGIN IMMEDIATE for
    # writes: a deferred write transaction that read first cannot wait for the write lock and
    # fails with SQLITE_BUSY under concurrency (sqlite.org/lang_transaction.html).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA cache_size=-131072")  # 128 MiB of page cache, for bulk imports
        # Freed space is zeroed, so deleted or erased rows leave no copy in the file (P2).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        # Case folding for segment queries, the same function as in Python (phonelist.folding).
        dbapi_conn.create_function("pl_fold", 1, _fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("phonelist_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Store:
    """Sessions for reading and writing, with database errors converted at this boundary."""

    def __init__(self, engine: Engine, *, info: dict[str, Any] | None = None) -> None:
        """``info`` goes into every session's ``info`` (the audit log's keyring, for one)."""
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False, info=dict(info or {}))
        self._write = sessionmaker(
            engine.execution_options(phonelist_write=True),
            expire_on_commit=False,
            info=dict(info or {}),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on any error."""
        with _converted(), self._write() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with _converted(), self._read() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


_NUL_REFUSED = "cannot contain NUL (0x00) bytes"  # psycopg's message, whatever the statement


@contextmanager
def _converted() -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        if _is_unique_violation(exc):
            raise UniqueViolation(_constraint_name(exc)) from exc
        raise StoreError(f"the database refused the write: {_first_line(exc)}") from exc
    except OperationalError as exc:
        raise StoreError(f"the database is unavailable or busy: {_first_line(exc)}") from exc
    except (DBAPIError, SQLAlchemyError) as exc:
        if _NUL_REFUSED in str(getattr(exc, "orig", exc)):
            # PostgreSQL (psycopg) refuses a NUL in any text parameter; it came from the input
            # (stored text cannot hold one), so it is the caller's error, as on SQLite.
            raise ValidationError("text must not contain a NUL character (U+0000)") from exc
        raise StoreError(f"database error: {_first_line(exc)}") from exc
    except UnicodeEncodeError as exc:  # lone surrogates that no validator caught
        raise ValidationError("text is not valid Unicode (invalid UTF-8)") from exc


def _is_unique_violation(exc: IntegrityError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(
        exc.orig
    )


def _constraint_name(exc: IntegrityError) -> str:
    diag = getattr(exc.orig, "diag", None)  # psycopg names the constraint
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    text = str(exc.orig)  # sqlite3: "UNIQUE constraint failed: phone_numbers.workspace_id, ..."
    if "phone_numbers." in text and "e164_index" in text:
        return "uq_phone_numbers_workspace_id_e164_index"
    return text.split("\n")[0]


def _first_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().split("\n")[0][:200]
