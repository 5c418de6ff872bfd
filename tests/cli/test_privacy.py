"""``phonelist privacy export``: files, formats, overwrite refusal, stdout."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from phonelist import Phonelist
from tests.cli.helpers import Cli, one_line_error
from tests.privacy.support import FIRST, NAME, SECRET, STRANGER, person, stranger


@pytest.fixture
def contact_id(cli: Cli) -> str:
    with Phonelist.open(cli.settings) as core:
        return person(core, core.cli_actor())


def test_json_export_goes_to_the_default_file_readable_by_its_owner_only(
    cli: Cli, contact_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    summary = cli.json("privacy", "export", FIRST)
    path = Path(summary["file"])
    assert path.name.startswith(f"phonelist-privacy-{contact_id}-") and path.suffix == ".json"
    assert stat.S_IMODE((tmp_path / path).stat().st_mode) == 0o600
    data = json.loads((tmp_path / path).read_text(encoding="utf-8"))
    assert data["contacts"][0]["display_name"] == NAME
    assert SECRET in json.dumps(data["contacts"][0]["custom_fields"])
    assert summary["subject"] == {"type": "contact", "id": contact_id}


def test_html_export_by_contact_id_and_refusal_to_overwrite(
    cli: Cli, contact_id: str, tmp_path: Path
) -> None:
    target = tmp_path / "ana.html"
    result = cli("privacy", "export", contact_id, "--format", "html", "-o", str(target))
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert "&lt;script&gt;" in page and NAME not in page

    again = cli("privacy", "export", contact_id, "--format", "html", "-o", str(target))
    assert again.exit_code == 2 and "--force" in one_line_error(again)
    forced = cli("privacy", "export", FIRST, "--format", "html", "-o", str(target), "--force")
    assert forced.exit_code == 0, forced.output


def test_dash_writes_to_stdout(cli: Cli, tmp_path: Path) -> None:
    with Phonelist.open(cli.settings) as core:
        stranger(core, core.cli_actor())
    result = cli("privacy", "export", STRANGER, "-o", "-")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["contacts"] == [] and data["numbers"][0]["number"] == STRANGER
    refused = cli("privacy", "export", STRANGER, "-o", "-", "--json")
    assert refused.exit_code == 2


def test_unknown_number_bad_format_and_nothing_written(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = cli("privacy", "export", "+12025550100")
    assert missing.exit_code == 3 and "nothing" in one_line_error(missing)
    bad = cli("privacy", "export", "+12025550100", "--format", "pdf")
    assert bad.exit_code == 2 and "json or html" in one_line_error(bad)
    assert not list(tmp_path.glob("phonelist-privacy-*"))


def test_erase_needs_yes_then_erases_and_reports(cli: Cli, contact_id: str) -> None:
    unconfirmed = cli("privacy", "erase", FIRST)
    assert unconfirmed.exit_code == 2 and "--yes" in one_line_error(unconfirmed)
    bad = cli("privacy", "erase", FIRST, "--yes", "--reason", "whim")
    assert bad.exit_code == 2 and "request" in one_line_error(bad)
    with Phonelist.open(cli.settings) as core:
        assert core.contacts.get(core.cli_actor(), contact_id).id == contact_id  # still there

    report = cli.json("privacy", "erase", FIRST, "--yes", "--request", "R1")
    assert report["subject_id"] == contact_id and report["contacts"] == 1
    assert report["request_id"] == "R1" and FIRST not in json.dumps(report)
    again = cli("privacy", "erase", contact_id, "--yes")
    assert again.exit_code == 3  # the contact id names nothing any more
    by_number = cli("privacy", "erase", FIRST, "-y")
    assert by_number.exit_code == 0 and "stay suppressed" in by_number.stdout
