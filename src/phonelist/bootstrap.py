"""``phonelist init``: the data directory, key files, schema, workspace and first owner."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import select

from phonelist.backup.format import create_backup_key
from phonelist.clock import utcnow
from phonelist.config import Settings
from phonelist.core import DEFAULT_WORKSPACE, Phonelist
from phonelist.errors import ConfigError
from phonelist.security.keystore import create_keyring, key_provider, session_secret
from phonelist.security.passwords import generate_password
from phonelist.security.permissions import Role
from phonelist.store import Store, build_engine
from phonelist.store.migrate import current_revision
from phonelist.store.models import Workspace

__all__ = ["DEFAULT_STATUSES", "InitResult", "initialize"]

DEFAULT_STATUSES = ["lead", "customer", "member", "inactive"]


@dataclass(frozen=True, slots=True)
class InitResult:
    data_dir: str
    database_url: str
    created_keys: bool
    created_owner: str | None
    generated_password: str | None  # shown once, never stored in clear
    created_backup_key: bool = False


def initialize(
    settings: Settings,
    *,
    owner_username: str = "owner",
    owner_password: str | None = None,
) -> InitResult:
    """Idempotent: creates only what is missing. Returns what it did."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    keys_dir = settings.resolved_keys_dir
    keys = key_provider(settings)  # a key file, PHONELIST_KEYRING or a key manager
    created_keys = not keys.exists()
    if created_keys:
        _refuse_if_database_has_data(settings)
        create_keyring(keys)
    session_secret(settings)
    created_backup_key = settings.backup_key is None and create_backup_key(keys_dir)
    if keys_dir.exists():
        os.chmod(keys_dir, 0o700)

    with Phonelist.open(settings) as core:
        with core.store.write() as session:
            exists = session.scalar(select(Workspace.id).where(Workspace.id == DEFAULT_WORKSPACE))
            if exists is None:
                session.add(
                    Workspace(
                        id=DEFAULT_WORKSPACE,
                        name="default",
                        default_region=settings.default_region,
                        statuses=list(DEFAULT_STATUSES),
                        created_at=utcnow(),
                    )
                )
        created_owner = generated = None
        if core.users.count(DEFAULT_WORKSPACE) == 0:
            if owner_password is None:
                owner_password = generated = generate_password()
            core.users.create(
                Phonelist.system_actor("init"), owner_username, owner_password, Role.OWNER
            )
            created_owner = owner_username
    return InitResult(
        data_dir=str(settings.data_dir),
        database_url=_redacted(settings.resolved_database_url),
        created_keys=created_keys,
        created_owner=created_owner,
        generated_password=generated,
        created_backup_key=created_backup_key,
    )


def _refuse_if_database_has_data(settings: Settings) -> None:
    """New keys for a database that already holds data would make that data unreadable."""
    engine = build_engine(settings.resolved_database_url)
    try:
        if current_revision(engine) is None:
            return
        with Store(engine).read() as session:
            has_workspace = session.scalar(select(Workspace.id).limit(1)) is not None
    finally:
        engine.dispose()
    if has_workspace:
        raise ConfigError(
            f"the database {_redacted(settings.resolved_database_url)} is already initialised "
            f"but there is no keyring in {settings.resolved_keys_dir}: restore the keys "
            "directory from your backup (new keys could not read the existing data)"
        )


def is_initialized(settings: Settings) -> bool:
    return key_provider(settings).exists()


def _redacted(url: str) -> str:
    """Hide a password in a database URL before it is printed."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{rest.split('@', 1)[1]}"
    return url
