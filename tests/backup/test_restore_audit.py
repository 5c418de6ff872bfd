"""A restore is audited in the restored store; the backup key can come from the environment."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from pydantic import SecretStr

from phonelist import Phonelist, Settings
from phonelist.audit.service import AuditFilter
from phonelist.backup import restore_backup, verify_backup
from phonelist.backup.format import BACKUP_KEY_FILE, load_backup_key
from phonelist.backup.service import BackupService
from phonelist.errors import BackupError
from phonelist.security.keystore import EnvKeyProvider
from phonelist.security.permissions import Actor
from tests.backup.conftest import PEOPLE

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def test_restore_writes_a_backup_restore_event(
    world: Phonelist, actor: Actor, empty_settings: Settings
) -> None:
    made = world.backups.create(actor, now=NOW)
    assert made.manifest is not None
    restore_backup(
        made.path,
        empty_settings.resolved_database_url,
        empty_settings.resolved_keys_dir,
        actor=actor,
    )
    with Phonelist.open(empty_settings) as restored:
        events = restored.audit.events(actor, AuditFilter(action="backup.restore")).items
        assert len(events) == 1
        event = events[0]
        assert (event.subject_type, event.subject_id) == ("backup", made.header["backup_id"])
        assert event.actor == actor.label
        counts = made.manifest["counts"]
        assert event.detail["rows"] == sum(counts.values())
        assert event.detail["counts"]["contacts"] == len(PEOPLE)
        assert event.detail["revision"] == made.header["revision"]
        assert restored.audit.verify(actor).ok  # appended to the restored chain
        text = str(event.detail)
        for person in PEOPLE:  # ids and counts only
            assert all(phone not in text for phone in person.get("phones", []))
            assert str(person.get("first_name", person.get("display_name"))) not in text
    with Phonelist.open(world.settings) as source:  # the source store is not touched
        assert not source.audit.events(actor, AuditFilter(action="backup.restore")).items


def test_a_refused_restore_is_not_audited(
    world: Phonelist, actor: Actor, empty_settings: Settings
) -> None:
    path = world.backups.create(actor, now=NOW).path
    data = bytearray(path.read_bytes())
    data[-30] ^= 0x80
    path.write_bytes(bytes(data))
    with pytest.raises(BackupError):
        restore_backup(
            path,
            empty_settings.resolved_database_url,
            empty_settings.resolved_keys_dir,
            actor=actor,
        )
    with Phonelist.open(empty_settings) as restored:
        assert not restored.audit.events(actor, AuditFilter(action="backup.restore")).items


def test_backup_key_from_the_environment_keeps_it_off_the_disk(
    world: Phonelist, actor: Actor, empty_settings: Settings
) -> None:
    secret = os.urandom(32).hex()
    service = BackupService(
        world.store,
        world.settings.resolved_keys_dir,
        world.settings.resolved_backup_dir,
        backup_secret=secret,
    )
    made = service.create(actor, now=NOW)
    assert (
        made.header["key_id"]
        == load_backup_key(world.settings.resolved_keys_dir / "x", secret=secret).key_id
    )
    on_disk = load_backup_key(world.settings.resolved_keys_dir)  # made by init: a different key
    assert made.header["key_id"] != on_disk.key_id
    assert verify_backup(made.path, world.settings.resolved_keys_dir, backup_secret=secret).manifest
    with pytest.raises(BackupError, match="made with backup key"):
        verify_backup(made.path, world.settings.resolved_keys_dir)  # the file key cannot open it
    with pytest.raises(BackupError, match="PHONELIST_BACKUP_KEY is unreadable"):
        verify_backup(made.path, world.settings.resolved_keys_dir, backup_secret="nope")

    # Restore with the key from the environment and the keyring from PHONELIST_KEYRING only.
    keys_dir = empty_settings.resolved_keys_dir
    (keys_dir / BACKUP_KEY_FILE).unlink(missing_ok=True)
    (keys_dir / "keyring.json").unlink()
    restore_backup(
        made.path,
        empty_settings.resolved_database_url,
        keys_dir,
        actor=actor,
        keys=EnvKeyProvider(world.keyring.to_json()),
        backup_secret=secret,
    )
    settings = empty_settings.model_copy(
        update={
            "keys_provider": "env",
            "keyring": SecretStr(world.keyring.to_json()),
            "backup_key": SecretStr(secret),
        }
    )
    with Phonelist.open(settings) as restored:
        assert restored.contacts.search(actor, "Maria").items[0].custom["secret"] == "hush"
        assert restored.backups.verify(made.path).manifest == made.manifest
    assert not (keys_dir / BACKUP_KEY_FILE).exists()
