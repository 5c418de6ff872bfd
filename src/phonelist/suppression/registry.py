"""National registries in the store: the US Do Not Call Registry (D2, D3) and Portugal's list (D5).

A full file replaces what is held for each of its area codes; a change file adds and deletes.
Each file is applied in one transaction, with one import row per area code carrying the
registry's own date, which the policy engine reads for freshness (D3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from phonelist.audit import record as audit
from phonelist.clock import utcnow
from phonelist.errors import ValidationError
from phonelist.ids import new_id
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.consent_models import RegistryImport, RegistryNumber
from phonelist.suppression.registry_files import (
    RegistryEntry,
    read_optout_list,
    read_registry_file,
)

__all__ = ["REGISTRIES", "AreaStatus", "FileResult", "RegistryService"]

REGISTRIES = ("us_dnc", "pt_optout")
BATCH = 10_000


@dataclass(frozen=True, slots=True)
class FileResult:
    file: str
    registry: str
    kind: str
    area_codes: tuple[str, ...]
    added: int
    deleted: int


@dataclass(frozen=True, slots=True)
class AreaStatus:
    registry: str
    area_code: str
    registry_date: dt.date
    age_days: int
    stale: bool
    numbers: int


class RegistryService:
    def __init__(self, store: Store, keyring: Keyring, max_age_days: int) -> None:
        self.store = store
        self.keyring = keyring
        self.max_age_days = max_age_days

    def import_file(
        self,
        actor: Actor,
        path: Path,
        *,
        registry_date: dt.date,
        kind: str = "full",
        registry: str = "us_dnc",
        progress: Callable[[int], None] | None = None,
    ) -> FileResult:
        """Apply one registry file in one transaction; a bad line leaves the store unchanged."""
        actor.require(Permission.REGISTRY_IMPORT)
        if registry not in REGISTRIES:
            raise ValidationError(
                f"registry must be one of {', '.join(REGISTRIES)}", field="registry"
            )
        if registry_date > utcnow().date():
            raise ValidationError("the registry date is in the future", field="registry_date")
        entries: Iterable[RegistryEntry] = (
            read_registry_file(path, kind=kind) if registry == "us_dnc" else read_optout_list(path)
        )
        full = kind == "full"
        added: dict[str, int] = {}
        deleted: dict[str, int] = {}
        with self.store.write() as session:
            adds: list[dict[str, Any]] = []
            removes: list[bytes] = []
            seen = 0
            for entry in entries:
                code = entry.area_code
                if code not in added:
                    added[code], deleted[code] = 0, 0
                    if full:
                        deleted[code] = self._clear(session, actor.workspace_id, registry, code)
                index = self.keyring.blind_index("phone", entry.e164)
                if (adds and entry.action != "add") or (removes and entry.action == "add"):
                    # The file's order decides: "delete X, add X" leaves X registered.
                    self._flush(session, actor.workspace_id, registry, adds, removes)
                    adds, removes = [], []
                if entry.action == "add":
                    adds.append(
                        {
                            "workspace_id": actor.workspace_id,
                            "registry_name": registry,
                            "e164_index": index,
                            "area_code": code,
                        }
                    )
                    added[code] += 1
                else:
                    removes.append(index)
                    deleted[code] += 1
                seen += 1
                if len(adds) + len(removes) >= BATCH:
                    self._flush(session, actor.workspace_id, registry, adds, removes)
                    adds, removes = [], []
                    if progress:
                        progress(seen)
            self._flush(session, actor.workspace_id, registry, adds, removes)
            if progress:
                progress(seen)
            if not added:
                raise ValidationError(f"{path.name} holds no numbers", field="file")
            now = utcnow()
            for code in sorted(added):
                session.add(
                    RegistryImport(
                        id=new_id(),
                        workspace_id=actor.workspace_id,
                        registry_name=registry,
                        area_code=code,
                        kind="full" if full else "changes",
                        registry_date=registry_date,
                        imported_at=now,
                        imported_by=actor.label,
                        file_name=path.name[:255],
                        added=added[code],
                        deleted=deleted[code],
                    )
                )
            audit(
                session,
                actor,
                "registry.import",
                "registry",
                registry,
                {
                    "kind": kind,
                    "area_codes": len(added),
                    "added": sum(added.values()),
                    "deleted": sum(deleted.values()),
                    "registry_date": registry_date.isoformat(),
                },
            )
        return FileResult(
            path.name,
            registry,
            kind,
            tuple(sorted(added)),
            sum(added.values()),
            sum(deleted.values()),
        )

    def _clear(self, session: Session, workspace_id: int, registry: str, code: str) -> int:
        result = session.execute(
            delete(RegistryNumber).where(
                RegistryNumber.workspace_id == workspace_id,
                RegistryNumber.registry_name == registry,
                RegistryNumber.area_code == code,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def _flush(
        self,
        session: Session,
        workspace_id: int,
        registry: str,
        adds: list[dict[str, Any]],
        removes: list[bytes],
    ) -> None:
        if adds:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            session.execute(insert(RegistryNumber).on_conflict_do_nothing(), adds)
        for start in range(0, len(removes), 5000):
            session.execute(
                delete(RegistryNumber).where(
                    RegistryNumber.workspace_id == workspace_id,
                    RegistryNumber.registry_name == registry,
                    RegistryNumber.e164_index.in_(removes[start : start + 5000]),
                )
            )

    def status(self, actor: Actor, at: dt.datetime | None = None) -> list[AreaStatus]:
        """Per registry and area code: the newest data's date, its age, and whether it is stale."""
        actor.require(Permission.CONSENT_READ)
        today = (at or utcnow()).date()
        with self.store.read() as session:
            dates = session.execute(
                select(
                    RegistryImport.registry_name,
                    RegistryImport.area_code,
                    func.max(RegistryImport.registry_date),
                )
                .where(RegistryImport.workspace_id == actor.workspace_id)
                .group_by(RegistryImport.registry_name, RegistryImport.area_code)
            ).all()
            counts = dict(
                ((r, a), n)
                for r, a, n in session.execute(
                    select(RegistryNumber.registry_name, RegistryNumber.area_code, func.count())
                    .where(RegistryNumber.workspace_id == actor.workspace_id)
                    .group_by(RegistryNumber.registry_name, RegistryNumber.area_code)
                )
            )
        out = []
        for registry, code, day in sorted(dates):
            age = (today - day).days
            out.append(
                AreaStatus(
                    registry,
                    code,
                    day,
                    age,
                    registry == "us_dnc" and age > self.max_age_days,  # D3 is the US rule
                    int(counts.get((registry, code), 0)),
                )
            )
        return out
