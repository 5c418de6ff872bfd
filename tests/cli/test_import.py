"""phonelist import FILE, phonelist imports list|rejects."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.cli.helpers import Cli, one_line_error


def people(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Prénom", "Nom", "Portable", "Courriel"])
        writer.writerow(["Chloé", "Dubois", "06 12 34 56 78", "chloe@example.fr"])
        writer.writerow(["Luc", "Martin", '=HYPERLINK("x")', ""])
        writer.writerow(["Luc", "Martin", "+33 6 12 34 56 78", ""])
    return path


def test_import_with_report_and_rejects(cli: Cli, tmp_path: Path) -> None:
    source = people(tmp_path / "clients.csv")
    rejects = tmp_path / "rejects.csv"
    report = cli.json(
        "import", str(source), "--region", "FR", "--tag", "salon", "--rejects", str(rejects)
    )
    counts = report["counts"]
    assert (
        counts["rows"],
        counts["imported"],
        counts["rejected"],
        counts["duplicates_in_file"],
    ) == (3, 1, 1, 1)
    assert counts["by_country"] == {"FR": 1}
    lines = list(csv.reader(rejects.open(encoding="utf-8")))
    assert lines[1][0] == "2" and lines[1][2].startswith("'=")  # neutralised for spreadsheets
    [found] = cli.json("search", "chloe@example.fr")["items"]
    assert found["phones"][0]["e164"] == "+33612345678" and found["tags"] == ["salon"]
    jobs = cli.json("imports", "list")
    assert jobs[0]["id"] == report["job_id"] and jobs[0]["status"] == "done"
    printed = cli("imports", "rejects", report["job_id"])
    assert printed.exit_code == 0 and "number_" in printed.stdout


def test_human_report_and_dry_run(cli: Cli, tmp_path: Path) -> None:
    source = people(tmp_path / "clients.csv")
    result = cli("import", str(source), "--region", "FR", "--dry-run")
    assert result.exit_code == 0
    assert "Dry run" in result.stdout and "would import" in result.stdout
    assert cli.count_contacts() == 0


def test_bad_options_and_files_are_clear_errors(cli: Cli, tmp_path: Path) -> None:
    source = people(tmp_path / "clients.csv")
    missing = cli("import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 5 and "no such file" in one_line_error(missing)
    bad = cli("import", str(source), "--on-duplicate", "merge")
    assert bad.exit_code == 5 and "on-duplicate" in one_line_error(bad)
    basis = cli("import", str(source), "--consent-basis", "sms:spam")
    assert basis.exit_code == 5 and "CHANNEL:PURPOSE:METHOD" in one_line_error(basis)
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 50)
    refused = cli("import", str(binary))
    assert refused.exit_code == 5 and "photo.csv" in one_line_error(refused)
    assert cli.count_contacts() == 0
