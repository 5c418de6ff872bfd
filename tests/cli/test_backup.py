"""``phonelist backup create|verify|restore|list`` through the real command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from phonelist import Phonelist, load_settings
from phonelist.audit.service import AuditFilter
from tests.cli.helpers import Cli, one_line_error


def test_create_verify_list_and_restore(cli: Cli, tmp_path: Path) -> None:
    cli.add("--name", "Ana Lima", "--phone", "+351912345678")
    made = cli.json("backup", "create")
    path = Path(made["path"])
    assert path.parent == cli.settings.data_dir / "backups"
    assert made["counts"]["contacts"] == 1

    checked = cli.json("backup", "verify", str(path))
    assert checked["ok"] is True and checked["sha256"] == made["sha256"]
    assert cli.json("backup", "verify", path.name)["backup_id"] == made["backup_id"]  # by name
    listed = cli.json("backup", "list")
    assert [item["backup_id"] for item in listed["items"]] == [made["backup_id"]]
    text = cli("backup", "verify", str(path))
    assert text.exit_code == 0 and "Backup verified" in text.stdout

    new_dir = tmp_path / "new"
    new_dir.mkdir()
    shutil.copytree(cli.settings.resolved_keys_dir, new_dir / "keys")
    other = Cli(load_settings(data_dir=new_dir))
    refused = other("backup", "restore", str(path))  # no terminal, no --yes
    assert refused.exit_code == 2
    restored = other.json("backup", "restore", str(path), "--yes")
    assert restored["counts"] == made["counts"]
    assert other.count_contacts() == 1
    with Phonelist.open(other.settings) as core:  # the restore is in the restored audit log
        events = core.audit.events(core.cli_actor(), AuditFilter(action="backup.restore")).items
        assert [e.subject_id for e in events] == [made["backup_id"]]
    again = other("backup", "restore", str(path), "--yes")
    assert again.exit_code == 12 and "not empty" in one_line_error(again)


def test_create_into_a_directory_and_not_into_a_file(cli: Cli, tmp_path: Path) -> None:
    made = cli.json("backup", "create", "--to", str(tmp_path / "elsewhere"))
    assert Path(made["path"]).parent == tmp_path / "elsewhere"
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    result = cli("backup", "create", "--to", str(a_file))
    assert result.exit_code == 5 and "not a directory" in one_line_error(result)


def test_a_damaged_backup_fails_verify_with_exit_12(cli: Cli) -> None:
    path = Path(cli.json("backup", "create")["path"])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    result = cli("backup", "verify", str(path), "--json")
    assert result.exit_code == 12
    assert json.loads(result.stdout)["error"]["code"] == "backup_failed"
    assert "damaged or the key is wrong" in one_line_error(result)


def test_the_wrong_backup_key_is_named(cli: Cli) -> None:
    path = Path(cli.json("backup", "create")["path"])
    key = cli.settings.resolved_keys_dir / "backup.key"
    key.write_text("00" * 32)
    result = cli("backup", "verify", str(path))
    assert result.exit_code == 12
    assert "this backup was made with backup key" in one_line_error(result)


def test_missing_files_and_directories(cli: Cli, tmp_path: Path) -> None:
    result = cli("backup", "verify", str(tmp_path / "nope.plbak"))
    assert result.exit_code == 12 and "no backup file" in one_line_error(result)
    result = cli("backup", "verify", str(tmp_path))
    assert result.exit_code == 12 and "is a directory" in one_line_error(result)
    result = cli("backup", "verify", "../../etc/passwd")
    assert result.exit_code == 12
    assert cli.json("backup", "list")["items"] == []
