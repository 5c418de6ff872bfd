"""Backup, wipe and restore on both backends; tampering, truncation, wrong keys and paths."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import pytest

from phonelist import Phonelist, Settings, load_settings
from phonelist.audit.service import AuditFilter
from phonelist.backup import restore_backup, run_scheduled_backup, verify_backup
from phonelist.backup.format import BACKUP_KEY_FILE
from phonelist.backup.schedule import BackupScheduler
from phonelist.errors import BackupError, PermissionDenied, ValidationError
from phonelist.security.crypto import Keyring, write_secret_file
from phonelist.security.permissions import Actor, Role
from tests import pg
from tests.backup.conftest import PEOPLE, table_rows

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def test_round_trip_gives_identical_contents(
    world: Phonelist, actor: Actor, empty_settings: Settings
) -> None:
    before = table_rows(world)
    vips = world.segments.count(actor, "tag = newsletter or consent.sms.marketing = granted").count
    made = world.backups.create(actor, now=NOW)
    assert made.path.parent == world.settings.resolved_backup_dir
    assert made.path.name == "phonelist-backup-20261128T090000Z.plbak"
    assert made.path.stat().st_mode & 0o777 == 0o600
    assert made.manifest is not None and made.manifest["counts"]["contacts"] == len(PEOPLE)

    restore_backup(
        made.path,
        empty_settings.resolved_database_url,
        empty_settings.resolved_keys_dir,
        actor=actor,
    )
    with Phonelist.open(empty_settings) as restored:
        assert table_rows(restored) == before  # contact_facts too: rebuilt by the triggers
        assert (
            restored.segments.count(
                actor, "tag = newsletter or consent.sms.marketing = granted"
            ).count
            == vips
        )
        first = restored.contacts.search(actor, "Maria").items[0]
        assert first.custom["secret"] == "hush"  # sealed columns open with the same keyring
        restored.fields.define(actor, "another", "text")  # sequences moved past restored ids
        assert restored.audit.verify(actor).ok  # the audit chain survives the round trip
    actions = [
        e.action for e in world.audit.events(actor, AuditFilter(action="backup.create")).items
    ]
    assert "backup.create" in actions


def test_verify_reads_the_manifest_without_a_database(actor: Actor, world: Phonelist) -> None:
    made = world.backups.create(actor, now=NOW)
    checked = verify_backup(made.path, world.settings.resolved_keys_dir)
    assert checked.manifest == made.manifest
    assert checked.header["revision"] == made.manifest["revision"]  # type: ignore[index]
    assert checked.manifest is not None and checked.manifest["counts"]["users"] == 1


@pytest.mark.parametrize("where", [0, 3, 6, 20, 0.5, 0.75, -40, -1])
def test_a_flipped_byte_anywhere_is_caught(actor: Actor, world: Phonelist, where: float) -> None:
    path = world.backups.create(actor, now=NOW).path
    data = bytearray(path.read_bytes())
    at = int(len(data) * where) if isinstance(where, float) else where % len(data)
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(BackupError):
        verify_backup(path, world.settings.resolved_keys_dir)


@pytest.mark.parametrize("cut", [1, 17, 100])
def test_a_truncated_backup_is_caught(actor: Actor, world: Phonelist, cut: int) -> None:
    path = world.backups.create(actor, now=NOW).path
    path.write_bytes(path.read_bytes()[:-cut])
    with pytest.raises(BackupError, match="damaged or the key is wrong"):
        verify_backup(path, world.settings.resolved_keys_dir)


def test_the_wrong_key_is_named(actor: Actor, world: Phonelist, tmp_path: Path) -> None:
    path = world.backups.create(actor, now=NOW).path
    other = tmp_path / "other-keys"
    write_secret_file(other / BACKUP_KEY_FILE, os.urandom(32).hex().encode())
    with pytest.raises(BackupError, match="this backup was made with backup key") as caught:
        verify_backup(path, other)
    assert caught.value.exit_code == 12
    with pytest.raises(BackupError, match="no backup key at"):
        verify_backup(path, tmp_path / "nowhere")


def test_restore_refuses_a_store_with_rows(actor: Actor, world: Phonelist) -> None:
    path = world.backups.create(actor, now=NOW).path
    before = table_rows(world)
    settings = world.settings
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(
            path, settings.resolved_database_url, settings.resolved_keys_dir, actor=actor
        )
    assert table_rows(world) == before


def test_a_damaged_backup_restores_nothing(
    actor: Actor, world: Phonelist, empty_settings: Settings
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
        assert all(not rows for rows in table_rows(restored).values())


def test_backup_paths_refuse_traversal_and_files(
    actor: Actor, world: Phonelist, tmp_path: Path
) -> None:
    for name in (
        "../../etc/passwd",
        "/etc/passwd",
        "phonelist-backup-20261128T090000Z.plbak/..",
        "sub/phonelist-backup-20261128T090000Z.plbak",
        "..",
        "",
    ):
        with pytest.raises(ValidationError):
            world.backups.path_of(name)
    assert world.backups.path_of("phonelist-backup-20261128T090000Z.plbak").parent == (
        world.settings.resolved_backup_dir
    )
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ValidationError, match="not a directory"):
        world.backups.create(actor, to=a_file, now=NOW)
    made = world.backups.create(actor, to=tmp_path / "new" / "dir", now=NOW)
    assert made.path.parent == tmp_path / "new" / "dir"


def test_schedule_makes_backups_when_due_and_keeps_the_newest(
    actor: Actor, core: Phonelist
) -> None:
    service = core.backups
    made = []
    for hours in range(0, 60, 6):  # every 6 hours for 2.5 days, with a 24-hour interval
        now = NOW + dt.timedelta(hours=hours)
        info = run_scheduled_backup(service, actor, now=now, interval_hours=24, keep=2)
        made.append(info is not None)
    assert made == [True, False, False, False, True, False, False, False, True, False]
    names = sorted(p.name for p in service.backup_dir.iterdir())
    assert names == [
        "phonelist-backup-20261129T090000Z.plbak",
        "phonelist-backup-20261130T090000Z.plbak",
    ]
    (service.backup_dir / "keep-me.txt").write_text("not a backup")
    assert run_scheduled_backup(service, actor, now=NOW, interval_hours=0, keep=1) is None
    service.prune(1)
    assert sorted(p.name for p in service.backup_dir.iterdir()) == [
        "keep-me.txt",
        "phonelist-backup-20261130T090000Z.plbak",
    ]


@pytest.mark.skipif(not pg.base_url(), reason="PostgreSQL is not configured")
def test_a_sqlite_backup_restores_into_postgresql(
    actor: Actor, world: Phonelist, backend: str, tmp_path: Path
) -> None:
    if backend != "sqlite":
        pytest.skip("the source store is the SQLite one")
    before = table_rows(world)
    made = world.backups.create(actor, now=NOW)
    url = pg.create_database()
    try:
        settings = load_settings(
            data_dir=tmp_path / "pg", database_url=url, keys_dir=world.settings.resolved_keys_dir
        )
        restore_backup(made.path, url, settings.resolved_keys_dir, actor=actor)
        with Phonelist.open(settings) as restored:
            assert table_rows(restored) == before
    finally:
        pg.drop_database(url)


def test_restore_needs_the_data_keys_of_the_backup(
    actor: Actor, world: Phonelist, empty_settings: Settings
) -> None:
    path = world.backups.create(actor, now=NOW).path
    Keyring.generate().save(empty_settings.resolved_keys_dir)  # a keyring with other keys
    with pytest.raises(BackupError, match="lacks keys this backup"):
        restore_backup(
            path,
            empty_settings.resolved_database_url,
            empty_settings.resolved_keys_dir,
            actor=actor,
        )


def test_a_failing_scheduled_backup_is_logged_not_raised(
    core: Phonelist, actor: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    core.backups.backup_dir.parent.mkdir(parents=True, exist_ok=True)
    core.backups.backup_dir.write_text("a file where the directory should be")
    scheduler = BackupScheduler(core.backups, actor, interval_hours=1, keep=3)
    with caplog.at_level(logging.ERROR, logger="phonelist.backup"):
        scheduler.tick()
    assert "scheduled backup failed" in caplog.text and "not a directory" in caplog.text


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.AGENT, Role.VIEWER])
def test_only_owners_make_backups(core: Phonelist, tmp_path: Path, role: Role) -> None:
    """A backup holds every sealed value of every person: keys.manage, owners only."""
    someone = Actor(core.cli_actor().workspace_id, role, "user", "someone")
    with pytest.raises(PermissionDenied):
        core.backups.create(someone, to=tmp_path / "b", now=dt.datetime.now(dt.UTC))
    assert not (tmp_path / "b").exists() or not list((tmp_path / "b").iterdir())
