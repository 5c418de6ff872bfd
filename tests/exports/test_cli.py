"""``phonelist export``: files, standard output, overwriting, summaries and errors."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import openpyxl
import pytest

from phonelist import Phonelist
from phonelist.clock import utcnow
from phonelist.security.permissions import Actor
from tests.cli.helpers import Cli, one_line_error
from tests.exports.helpers import export_events, populate


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_default_file_is_private_and_dated(
    cli: Cli, core: Phonelist, actor: Actor, here: Path
) -> None:
    populate(core, actor)
    result = cli("export")
    assert result.exit_code == 0, result.output
    name = f"phonelist-export-{utcnow().date().isoformat()}.csv"
    assert result.stdout == f"Exported 3 contacts to {name} (csv).\n"
    path = here / name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    table = rows_of(path.read_bytes().decode("utf-8-sig"))
    assert table[0][:5] == ["id", "display_name", "first_name", "last_name", "phone"]
    assert len(table) == 4
    assert [p.name for p in here.iterdir()] == [name]  # no temporary file left behind


def test_an_existing_file_is_kept_unless_forced(
    cli: Cli, core: Phonelist, actor: Actor, here: Path
) -> None:
    populate(core, actor)
    (here / "out.csv").write_text("precious", encoding="utf-8")
    result = cli("export", "--output", "out.csv")
    assert result.exit_code == 2
    assert one_line_error(result) == ("error: out.csv already exists; pass --force to overwrite it")
    assert (here / "out.csv").read_text(encoding="utf-8") == "precious"
    assert export_events(core) == []
    result = cli("export", "--output", "out.csv", "--force")
    assert result.exit_code == 0
    assert (here / "out.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")


def test_standard_output_with_filters_columns_and_national_numbers(
    cli: Cli, core: Phonelist, actor: Actor, here: Path
) -> None:
    populate(core, actor)
    result = cli(
        "export", "-o", "-", "--tag", "vip", "--columns", "first_name, phone",
        "--numbers", "national",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert rows_of(result.stdout.removeprefix("\ufeff")) == [
        ["first_name", "phone"],
        ["Ana", "912 345 678"],
        ["Bruno", "911 111 111"],
    ]
    assert result.stderr == "Exported 2 contacts to standard output (csv).\n"
    assert list(here.iterdir()) == []


def test_json_summary_and_format_from_the_extension(
    cli: Cli, core: Phonelist, actor: Actor, here: Path
) -> None:
    populate(core, actor)
    summary = cli.json("export", "-o", "people.xlsx", "--status", "customer")
    assert summary["rows"] == 1 and summary["path"] == "people.xlsx"
    assert summary["format"] == "xlsx" and summary["numbers"] == "e164"
    assert summary["columns"][:2] == ["id", "display_name"]
    sheet = openpyxl.load_workbook(here / "people.xlsx").active
    assert sheet is not None
    assert [c.value for c in sheet[2]][1:2] == ["Carla"]
    vcard = cli.json("export", "-o", "people.txt", "--format", "vcard")
    assert vcard["format"] == "vcard"
    assert (here / "people.txt").read_bytes().startswith(b"BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert [e.detail["format"] for e in export_events(core)] == ["xlsx", "vcard"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--format", "pdf"], 5, "error: format must be one of csv, xlsx, vcard, jsonl"),
        (["--numbers", "intl"], 5, "error: numbers must be one of e164, national"),
        (["--tag", ""], 5, "error: tag must have 1 to 100 characters"),
        (
            ["-o", "-", "--json"],
            2,
            "error: --json prints a summary on stdout, so it cannot go with --output -",
        ),
        (
            ["-o", "missing/out.csv"],
            5,
            "error: cannot write missing/out.csv: No such file or directory",
        ),
    ],
)
def test_errors_are_one_line_and_leave_no_file(
    cli: Cli, core: Phonelist, actor: Actor, here: Path, args: list[str], code: int, message: str
) -> None:
    populate(core, actor)
    result = cli("export", *args)
    assert result.exit_code == code
    assert one_line_error(result) == message
    assert list(here.iterdir()) == []


def test_json_error_shape(cli: Cli, core: Phonelist, actor: Actor, here: Path) -> None:
    result = cli("export", "--columns", "shoe", "--json")
    assert result.exit_code == 5
    error = json.loads(result.stdout)["error"]
    assert (error["code"], error["field"]) == ("export_bad_columns", "columns")
