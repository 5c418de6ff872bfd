"""``phonelist keys rotate``: re-encrypt every sealed field under a new data key.

The new key is added to the keyring and made active first; old keys stay until no row needs
them. Rows are rewritten in small batches, one transaction each, so an interruption (Ctrl-C,
a crash, a full disk) loses nothing: every row is under either the old key or the new one, and
both are in the keyring. Running ``keys rotate`` again while old keys remain resumes the same
rotation instead of starting another. When no row uses an old key, it is removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from phonelist.audit import record
from phonelist.security.crypto import Keyring
from phonelist.security.keystore import FileKeyProvider, KeyProvider, StagedKeys
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.consent_models import ConsentRequest, Message
from phonelist.store.models import (
    ConsentRecord,
    Contact,
    CustomValue,
    Email,
    ImportReject,
    Note,
    PhoneNumber,
    Suppression,
)
from phonelist.store.privacy_models import PrivacyRequest

__all__ = ["SEALED_COLUMNS", "KeyRotation", "RotationReport"]


def _by_id(row: Any) -> str:
    return str(row.id)


def _custom_id(row: Any) -> str:
    return f"{row.contact_id}:{row.field_id}"


def _reject_id(row: Any) -> str:
    return f"{row.job_id}:{row.row_number}"


# (model, [(attribute, aad table, aad column)], row id for the aad, ordering columns)
SEALED_COLUMNS: list[
    tuple[type[Any], list[tuple[str, str, str]], Callable[[Any], str], tuple[str, ...]]
] = [
    (
        Contact,
        [
            ("display_name_enc", "contacts", "display_name"),
            ("first_name_enc", "contacts", "first_name"),
            ("last_name_enc", "contacts", "last_name"),
        ],
        _by_id,
        ("id",),
    ),
    (PhoneNumber, [("e164_enc", "phone_numbers", "e164")], _by_id, ("id",)),
    (Email, [("email_enc", "emails", "email")], _by_id, ("id",)),
    (Note, [("body_enc", "notes", "body")], _by_id, ("id",)),
    (
        CustomValue,
        [("value_enc", "custom_values", "value")],
        _custom_id,
        ("contact_id", "field_id"),
    ),
    (ImportReject, [("raw_enc", "import_rejects", "raw")], _reject_id, ("job_id", "row_number")),
    (
        ConsentRecord,
        [
            ("e164_enc", "consent_records", "e164"),
            ("ip_enc", "consent_records", "ip"),
            ("user_agent_enc", "consent_records", "user_agent"),
        ],
        _by_id,
        ("id",),
    ),
    (Suppression, [("e164_enc", "suppressions", "e164")], _by_id, ("id",)),
    (ConsentRequest, [("e164_enc", "consent_requests", "e164")], _by_id, ("id",)),
    (
        Message,
        [("e164_enc", "messages", "e164"), ("body_enc", "messages", "body")],
        _by_id,
        ("id",),
    ),
    (
        PrivacyRequest,
        [("note_enc", "privacy_requests", "note"), ("outcome_enc", "privacy_requests", "outcome")],
        _by_id,
        ("id",),
    ),
]


@dataclass(frozen=True, slots=True)
class RotationReport:
    active_key: str
    resumed: bool
    rewritten: int
    retired_keys: list[str]
    staged: bool = False  # read-only keyring: only the next keyring was written (keystore.py)


class KeyRotation:
    def __init__(
        self, store: Store, keys: Path | KeyProvider, live: Keyring, batch_size: int = 500
    ) -> None:
        self.store = store
        self.live = live
        self.keys = FileKeyProvider(keys) if isinstance(keys, Path) else keys
        self.batch_size = batch_size

    def total_rows(self) -> int:
        with self.store.read() as session:
            return sum(
                int(session.scalar(select(func.count()).select_from(model)) or 0)
                for model, *_ in SEALED_COLUMNS
            )

    def run(
        self,
        actor: Actor,
        progress: Callable[[int], None] | None = None,
        stop_after_batches: int | None = None,
    ) -> RotationReport:
        """Rotate (or resume a rotation). ``stop_after_batches`` exists to test interruption."""
        actor.require(Permission.KEYS_MANAGE)
        keyring = self.keys.load()
        self.live.adopt(keyring)
        resumed = len(keyring.data_keys) > 1
        if not resumed:
            keyring = keyring.with_new_active_key()
            self.keys.save(keyring)
            if isinstance(self.keys, StagedKeys):  # nothing is re-encrypted before it is in place
                with self.store.write() as session:
                    detail = {"provider": self.keys.name, "staged": True}
                    record(session, actor, "keys.rotate_start", "keyring", keyring.active, detail)
                return RotationReport(keyring.active, False, 0, [], staged=True)
            self.live.adopt(keyring)
            with self.store.write() as session:
                record(session, actor, "keys.rotate_start", "keyring", keyring.active, {})
        rewritten = batches = 0
        for model, columns, row_id, order in SEALED_COLUMNS:
            last: tuple[Any, ...] | None = None
            while True:
                if stop_after_batches is not None and batches >= stop_after_batches:
                    raise KeyboardInterrupt  # simulated interruption, for tests
                with self.store.write() as session:
                    keys = [getattr(model, c) for c in order]
                    query = select(model).order_by(*keys).limit(self.batch_size)
                    if last is not None:
                        query = query.where(_after(keys, last))
                    rows = list(session.scalars(query))
                    if not rows:
                        break
                    for row in rows:
                        rewritten += _reseal(keyring, row, columns, row_id(row))
                    last = tuple(getattr(rows[-1], c) for c in order)
                batches += 1
                if progress is not None:
                    progress(len(rows))
        retired = sorted(set(keyring.data_keys) - {keyring.active})
        final = keyring.without_keys(set(retired))
        self.keys.save(final)
        self.live.adopt(final)
        with self.store.write() as session:
            record(
                session,
                actor,
                "keys.rotate_finish",
                "keyring",
                keyring.active,
                {"rewritten": rewritten, "retired": retired, "resumed": resumed},
            )
        return RotationReport(
            active_key=keyring.active, resumed=resumed, rewritten=rewritten, retired_keys=retired
        )


def _after(keys: list[Any], last: tuple[Any, ...]) -> Any:
    if len(keys) == 1:
        return keys[0] > last[0]
    return (keys[0] > last[0]) | ((keys[0] == last[0]) & (keys[1] > last[1]))


def _reseal(keyring: Keyring, row: Any, columns: list[tuple[str, str, str]], row_id: str) -> int:
    changed = 0
    for attribute, table, column in columns:
        blob = getattr(row, attribute)
        if blob is None or Keyring.key_id_of(blob) == keyring.active:
            continue
        plain = keyring.decrypt(blob, table=table, column=column, row_id=row_id)
        setattr(row, attribute, keyring.encrypt(plain, table=table, column=column, row_id=row_id))
        changed += 1
    return changed
