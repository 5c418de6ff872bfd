"""Create, verify, list, restore and prune backups (docs/backups.md).

A backup is a logical snapshot of every table, read inside one transaction (a consistent
snapshot on both backends), except ``contact_facts``, which the database triggers rebuild as the
rows are restored. It is portable: a backup made on SQLite restores into PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from phonelist.audit.log import record, session_info
from phonelist.backup.format import (
    FORMAT,
    BackupReader,
    BackupWriter,
    encode_value,
    load_backup_key,
    load_or_create_backup_key,
    read_header,
)
from phonelist.config import Settings
from phonelist.errors import BackupError, StoreError, ValidationError
from phonelist.ids import new_id
from phonelist.security.crypto import Keyring
from phonelist.security.keystore import FileKeyProvider, KeyProvider, key_provider
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store, build_engine
from phonelist.store.migrate import current_revision, head_revision, upgrade
from phonelist.store.models import Base, Workspace

__all__ = [
    "BackupInfo",
    "BackupService",
    "backup_name",
    "backup_secret",
    "is_backup_name",
    "restore_backup",
    "run_scheduled_backup",
]

DERIVED = frozenset({"contact_facts", "policy_facts"})  # rebuilt by triggers from restored rows
NAME = re.compile(r"phonelist-backup-(\d{8}T\d{6}Z)(?:-(\d{1,4}))?\.plbak")
_BATCH = 500
Progress = Callable[[str, int], None]  # (table, rows so far)


def _quiet(_table: str, _rows: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    header: dict[str, Any]
    manifest: dict[str, Any] | None  # None when only the header was read

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "header": self.header, "manifest": self.manifest}


def backup_name(at: dt.datetime, attempt: int = 1) -> str:
    stamp = at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"phonelist-backup-{stamp}{'' if attempt == 1 else f'-{attempt}'}.plbak"


def is_backup_name(name: str) -> bool:
    return NAME.fullmatch(name) is not None


def _order(name: str) -> tuple[str, int]:
    match = NAME.fullmatch(name)
    assert match is not None
    return match.group(1), int(match.group(2) or 1)


def _taken_at(name: str) -> dt.datetime:
    return dt.datetime.strptime(_order(name)[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def backup_secret(settings: Settings) -> str | None:
    """The backup key from the ``backup_key`` setting (``PHONELIST_BACKUP_KEY``), if set."""
    return settings.backup_key.get_secret_value() if settings.backup_key is not None else None


class BackupService:
    """Backups of one store, written to ``backup_dir``.

    The backup key is ``backup_secret`` when given, else ``<keys_dir>/backup.key``; the
    keyring (whose key fingerprints go in the header) comes from ``keys``, default the file.
    """

    def __init__(
        self,
        store: Store,
        keys_dir: Path,
        backup_dir: Path,
        *,
        keys: KeyProvider | None = None,
        backup_secret: str | None = None,
    ) -> None:
        self.store = store
        self.engine = store.engine
        self.keys_dir = keys_dir
        self.backup_dir = backup_dir
        self.keys = keys or FileKeyProvider(keys_dir)
        self.backup_secret = backup_secret

    @classmethod
    def from_settings(cls, store: Store, settings: Settings) -> BackupService:
        return cls(
            store,
            settings.resolved_keys_dir,
            settings.resolved_backup_dir,
            keys=key_provider(settings),
            backup_secret=backup_secret(settings),
        )

    # -- create -------------------------------------------------------------------------
    def create(
        self,
        actor: Actor,
        *,
        to: Path | None = None,
        now: dt.datetime,
        progress: Progress = _quiet,
    ) -> BackupInfo:
        """Write a new backup into ``to`` (default: the backup directory); return it.

        A bulk read of all personal data, so it is audited (``backup.create``, after the
        snapshot: the event itself is in the next backup). Owners only (``keys.manage``): a
        backup holds every sealed value of every person.
        """
        actor.require(Permission.KEYS_MANAGE)
        directory = _writable_dir(to or self.backup_dir)
        key = load_or_create_backup_key(self.keys_dir, secret=self.backup_secret)
        attempt = 1
        while (directory / backup_name(now, attempt)).exists():
            attempt += 1
        path = directory / backup_name(now, attempt)
        partial = path.with_name(path.name + ".partial")
        keyring = self.keys.load()
        header = {
            "format": FORMAT,
            "backup_id": new_id(),
            "created_at": now.astimezone(dt.UTC).isoformat(),
            "key_id": key.key_id,
            "keyring": _fingerprints(keyring),
            "phonelist_version": version("phonelist"),
            "dialect": self.engine.dialect.name,
        }
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                with _snapshot(self.engine) as conn:
                    revision = _revision(conn)
                    header["revision"] = revision
                    writer = BackupWriter(out, header, key)
                    for table in _tables():
                        _dump(conn, table, writer, progress)
                manifest = writer.finish({"revision": revision})
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        with self.store.write() as session:
            detail = {"file": path.name, "rows": sum(manifest["counts"].values())}
            record(session, actor, "backup.create", "backup", str(header["backup_id"]), detail)
        return BackupInfo(path, header, manifest)

    # -- verify, list -------------------------------------------------------------------
    def verify(self, path: Path, *, progress: Progress = _quiet) -> BackupInfo:
        return verify_backup(
            path, self.keys_dir, backup_secret=self.backup_secret, progress=progress
        )

    def list_backups(self) -> list[BackupInfo]:
        """Backups in the backup directory, oldest first, with their headers (not verified)."""
        found = []
        for path in self._files():
            try:
                with path.open("rb") as handle:
                    header, _ = read_header(handle, path)
            except (BackupError, OSError) as exc:
                header = {"error": str(exc)}
            found.append(BackupInfo(path, header, None))
        return found

    def path_of(self, name: str) -> Path:
        """The backup called ``name`` in the backup directory: a bare backup file name only."""
        if not is_backup_name(name):
            raise ValidationError(
                f"{name!r} is not a backup file name (phonelist-backup-<time>.plbak)",
                field="name",
            )
        return self.backup_dir / name

    # -- schedule -----------------------------------------------------------------------
    def _files(self) -> list[Path]:
        if not self.backup_dir.is_dir():
            return []
        names = [
            entry.name
            for entry in os.scandir(self.backup_dir)
            if is_backup_name(entry.name) and entry.is_file(follow_symlinks=False)
        ]
        return [self.backup_dir / name for name in sorted(names, key=_order)]

    def prune(self, keep: int) -> list[Path]:
        """Delete the oldest backups beyond the newest ``keep``; return what was deleted."""
        doomed = self._files()[: max(0, len(self._files()) - keep)] if keep > 0 else []
        for path in doomed:
            path.unlink(missing_ok=True)
        return doomed

    def newest_at(self) -> dt.datetime | None:
        files = self._files()
        return _taken_at(files[-1].name) if files else None


def run_scheduled_backup(
    service: BackupService, actor: Actor, *, now: dt.datetime, interval_hours: float, keep: int
) -> BackupInfo | None:
    """Make a backup when the newest is older than the interval, then apply retention.

    Pure apart from the directory and the database: the clock is passed in.
    """
    if interval_hours <= 0:
        return None
    newest = service.newest_at()
    made = None
    if newest is None or now - newest >= dt.timedelta(hours=interval_hours):
        made = service.create(actor, now=now)
    service.prune(keep)
    return made


def verify_backup(
    path: Path,
    keys_dir: Path,
    *,
    backup_secret: str | None = None,
    progress: Progress = _quiet,
) -> BackupInfo:
    """Decrypt and check every chunk, row count and the checksum; touches no database."""
    with _open_backup(path) as handle:
        reader = BackupReader(handle, path, load_backup_key(keys_dir, secret=backup_secret))
        for rows, (table, _, _) in enumerate(reader.events(), 1):
            if rows % 1000 == 0:
                progress(table, rows)
    return BackupInfo(path, reader.header, reader.manifest)


# -- restore ----------------------------------------------------------------------------
def restore_backup(
    path: Path,
    database_url: str,
    keys_dir: Path,
    *,
    actor: Actor,
    keys: KeyProvider | None = None,
    backup_secret: str | None = None,
    progress: Progress = _quiet,
) -> BackupInfo:
    """Restore ``path`` into the store at ``database_url``, which must hold no rows.

    The schema is brought to the backup's revision, the rows go in one transaction (rolled
    back if any chunk fails to authenticate), then the schema is upgraded to the current head.
    Last, a ``backup.restore`` event (backup id and row counts) is added to the restored
    store's audit log, in ``actor``'s workspace.
    """
    backup_key = load_backup_key(keys_dir, secret=backup_secret)
    keyring = (keys or FileKeyProvider(keys_dir)).load()
    with _open_backup(path) as handle:
        reader = BackupReader(handle, path, backup_key)
        _check_keys(reader.header, keyring, keys or FileKeyProvider(keys_dir))
    engine = build_engine(database_url)
    try:
        with _open_backup(path) as handle:
            reader = BackupReader(handle, path, backup_key)
            revision = _prepare_schema(engine, reader.header.get("revision"))
            writer = engine.execution_options(phonelist_write=True)
            with _converted(), writer.connect() as conn, conn.begin():
                _load(conn, reader, progress)
                _reset_sequences(conn)
        if revision != head_revision():
            upgrade(engine)
        _record_restore(Store(engine, info=session_info(keyring)), actor, reader)
    finally:
        engine.dispose()
    return BackupInfo(path, reader.header, reader.manifest)


def _record_restore(store: Store, actor: Actor, reader: BackupReader) -> None:
    counts = (reader.manifest or {}).get("counts", {})
    detail = {
        "rows": sum(counts.values()),
        "counts": {table: count for table, count in sorted(counts.items()) if count},
        "revision": reader.header.get("revision"),
        "backup_created_at": reader.header.get("created_at"),
    }
    backup_id = str(reader.header.get("backup_id"))
    with _converted(), store.write() as session:
        # The restore concerns every workspace in the backup, so each chain records it.
        for workspace_id in list(session.scalars(sa.select(Workspace.id).order_by(Workspace.id))):
            where = dataclasses.replace(actor, workspace_id=workspace_id)
            record(session, where, "backup.restore", "backup", backup_id, detail)


def _fingerprints(keyring: Keyring) -> dict[str, str]:
    """Which keys the backup's sealed values and blind indexes need, by a one-way fingerprint."""
    keys = {**{f"data:{k}": v for k, v in keyring.data_keys.items()}, "index": keyring.index_key}
    return {
        name: hashlib.sha256(b"phonelist-key-fingerprint:" + key).hexdigest()[:16]
        for name, key in sorted(keys.items())
    }


def _check_keys(header: dict[str, Any], keyring: Keyring, keys: KeyProvider) -> None:
    """Refuse before writing anything when the keyring cannot open the backup's data."""
    have = _fingerprints(keyring)
    needed = header.get("keyring", {})
    missing = sorted(name for name, print_ in needed.items() if have.get(name) != print_)
    if missing:
        raise BackupError(
            f"the keyring in {keys.describe()} lacks keys this backup's personal data needs "
            f"({', '.join(missing)}): put the keyring kept with the backups there first"
        )


def _prepare_schema(engine: Engine, revision: Any) -> str:
    if not isinstance(revision, str):
        raise BackupError("the backup names no schema revision")
    with _converted():
        current = current_revision(engine)
        if current is None:
            try:
                upgrade(engine, revision)
            except CommandError as exc:  # alembic: an unknown revision
                raise BackupError(
                    f"the backup's schema revision {revision} is unknown to phonelist "
                    f"{version('phonelist')}: restore it with the version that made it, or newer"
                ) from exc
        elif current != revision:
            raise BackupError(
                f"the target store's schema is at revision {current} and the backup's at "
                f"{revision}: restore into a new, empty database"
            )
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                    raise BackupError(
                        f"the target store is not empty (table {table.name} has rows): "
                        "restore into a new data directory or an empty database"
                    )
    return revision


def _load(conn: Connection, reader: BackupReader, progress: Progress) -> None:
    batch: list[dict[str, Any]] = []
    target: sa.TableClause | None = None
    current, rows = "", 0

    def flush() -> None:
        if batch and target is not None:
            conn.execute(sa.insert(target), batch)
            batch.clear()

    for table, columns, row in reader.events():
        if table != current:
            flush()
            current, rows = table, 0
            target = _target(table, columns)
        batch.append(dict(zip(columns, row, strict=True)))
        rows += 1
        if len(batch) >= _BATCH:
            flush()
            progress(table, rows)
    flush()


def _target(name: str, columns: list[str]) -> sa.TableClause:
    """A table clause typed from the models where the column is known (binds dates, JSON)."""
    model = Base.metadata.tables.get(name)
    if model is None or name in DERIVED:
        raise BackupError(f"the backup holds an unknown table {name!r}")
    return sa.table(
        name, *(sa.column(c, model.c[c].type if c in model.c else None) for c in columns)
    )


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: move each serial sequence past the ids that were inserted explicitly."""
    if conn.dialect.name != "postgresql":
        return
    for table in _tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (
                isinstance(column.type, sa.Integer) and len(table.primary_key.columns) == 1
            ):
                sequence = conn.execute(
                    sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                    {"t": table.name, "c": column.name},
                ).scalar()
                if sequence:
                    highest = conn.execute(sa.select(sa.func.max(column))).scalar() or 0
                    conn.execute(sa.select(sa.func.setval(sequence, highest + 1, False)))


# -- helpers ----------------------------------------------------------------------------
def _tables() -> list[sa.Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in DERIVED]


def _revision(conn: Connection) -> str:
    revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    if not revision:
        raise BackupError("the store has no schema revision: run 'phonelist init'")
    return str(revision)


def _dump(conn: Connection, table: sa.Table, writer: BackupWriter, progress: Progress) -> None:
    columns = list(table.columns)
    writer.table(table.name, [c.name for c in columns])
    is_json = [isinstance(c.type, sa.JSON) for c in columns]
    query = sa.select(*columns).order_by(*table.primary_key.columns)
    for rows, row in enumerate(conn.execution_options(yield_per=_BATCH).execute(query), 1):
        writer.row([encode_value(v, is_json=j) for v, j in zip(row, is_json, strict=True)])
        if rows % 1000 == 0:
            progress(table.name, rows)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction that sees one state of the database on both backends."""
    with _converted(), engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with conn.begin():  # SQLite: BEGIN, and the first read pins the WAL snapshot
            yield conn


@contextmanager
def _converted() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().split("\n")[0][:200]
        raise StoreError(f"database error during the backup or restore: {first}") from exc


@contextmanager
def _open_backup(path: Path) -> Iterator[Any]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise BackupError(f"no backup file at {path}") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a directory, not a backup file") from None
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        yield handle


def _writable_dir(directory: Path) -> Path:
    if directory.exists() and not directory.is_dir():
        raise ValidationError(f"{directory} is a file, not a directory", field="to")
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ValidationError(
            f"cannot create the backup directory {directory}: {exc.strerror}", field="to"
        ) from None
    return directory
