"""``phonelist segment ...``: count, show, save, list, delete, export, freeze and fields."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from phonelist.segments import Count
from phonelist.segments.service import SegmentService
from tests.cli.helpers import Cli, one_line_error


@pytest.fixture
def people(cli: Cli) -> dict[str, str]:
    """Three contacts (two in PT, two VIPs) and a choice field; name -> contact id."""
    cli.json("fields", "add", "plan", "--type", "choice", "--choice", "free", "--choice", "pro")
    maria = cli.add(
        "--name", "Maria Silva", "--phone", "+351912345001", "--country", "PT",
        "--tag", "vip", "--status", "customer", "--field", "plan=pro",
    )  # fmt: skip
    joao = cli.add(
        "--name", "João", "--phone", "+351912345002", "--country", "PT", "--tag", "newsletter"
    )
    ann = cli.add("--name", "Ann", "--phone", "+14155550103", "--country", "US", "--tag", "vip")
    return {"Maria": maria["id"], "João": joao["id"], "Ann": ann["id"]}


# -- count --------------------------------------------------------------------------------------
def test_count(cli: Cli, people: dict[str, str]) -> None:
    result = cli("segment", "count", "country = PT")
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == ("2\n", "")
    assert cli.json("segment", "count", "country = pt tag = vip") == {
        "count": 1,
        "query": "country = pt tag = vip",
        "warnings": [],
    }


def test_count_has_thousands_separators(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def counted(self: SegmentService, actor: object, query: str, **_: object) -> Count:
        return Count(1_234_567, query, ())

    monkeypatch.setattr(SegmentService, "count", counted)
    assert cli("segment", "count", "has tag").stdout == "1,234,567\n"


def test_count_at_an_instant(cli: Cli, people: dict[str, str]) -> None:
    assert cli.json("segment", "count", "created > -1d")["count"] == 3
    later = cli.json("segment", "count", "created > -1d", "--at", "2099-01-01T00:00:00Z")
    assert later["count"] == 0  # relative dates count from --at
    bad = cli("segment", "count", "has tag", "--at", "2099-01-01 09:00")
    assert bad.exit_code == 5 and "--at needs a time zone" in one_line_error(bad)


def test_warnings_go_to_stderr_in_yellow_words(cli: Cli, people: dict[str, str]) -> None:
    result = cli("segment", "count", "tag = vpi")
    assert result.exit_code == 0 and result.stdout == "0\n"
    assert result.stderr == "warning: no tag named 'vpi' (did you mean 'vip'?): it matches no one\n"
    assert cli.json("segment", "count", "tag = vpi")["warnings"] == [
        "no tag named 'vpi' (did you mean 'vip'?): it matches no one"
    ]


def test_query_from_stdin(cli: Cli, people: dict[str, str]) -> None:
    result = cli("segment", "count", "-", input="country = PT\n  AND tag = newsletter\n")
    assert result.exit_code == 0 and result.stdout == "1\n"


# -- errors point at the token ------------------------------------------------------------------
def test_query_error_shows_the_caret_and_exits_5(cli: Cli, people: dict[str, str]) -> None:
    result = cli("segment", "count", "contry = PT")
    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: unknown field 'contry' — did you mean 'country'? (at column 1)",
        "  contry = PT",
        "  ^^^^^^",
    ]


def test_query_error_as_json(cli: Cli, people: dict[str, str]) -> None:
    result = cli("segment", "count", "contry = PT", "--json")
    assert result.exit_code == 5
    assert json.loads(result.stdout) == {
        "error": {
            "code": "invalid_query",
            "message": "unknown field 'contry' — did you mean 'country'?",
            "field": "query",
            "details": {"position": 0, "end": 6, "suggestion": "country", "query": "contry = PT"},
        }
    }
    assert result.stderr.splitlines()[1:] == ["  contry = PT", "  ^^^^^^"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "country = PT AND (tag = vip",
            [
                "error: expected ')' to close the '(' at column 18 (at column 28)",
                "  country = PT AND (tag = vip",
                "                             ^",
            ],
        ),
        (  # a tab is shown as one space, so the carets stay under the token
            "country = PT\tcontry = PT",
            [
                "error: unknown field 'contry' — did you mean 'country'? (at column 14)",
                "  country = PT contry = PT",
                "               ^^^^^^",
            ],
        ),
        (  # a control character is escaped, and the carets move with it
            'city = "\x1b" contry = PT',
            [
                "error: unknown field 'contry' — did you mean 'country'? (at column 12)",
                '  city = "\\x1b" contry = PT',
                "                ^^^^^^",
            ],
        ),
        (  # a multi-line query shows the line with the error
            "country = PT\nAND contry = PT",
            [
                "error: unknown field 'contry' — did you mean 'country'? (at line 2, column 5)",
                "  AND contry = PT",
                "      ^^^^^^",
            ],
        ),
    ],
)
def test_caret_lines_up(cli: Cli, people: dict[str, str], query: str, expected: list[str]) -> None:
    result = cli("segment", "count", "-", input=query)
    assert result.exit_code == 5
    assert result.stderr.splitlines() == expected


def test_other_errors_stay_one_line(cli: Cli, people: dict[str, str]) -> None:
    result = cli("segment", "freeze", "country = PT", "--list", "")
    assert result.exit_code == 5
    assert "list must have 1 to 100 characters" in one_line_error(result)


# -- show ---------------------------------------------------------------------------------------
def test_show(cli: Cli, people: dict[str, str]) -> None:
    result = cli("segment", "show", "tag = vip", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 contacts match\n")
    assert people["Maria"] in result.stdout and people["Ann"] not in result.stdout
    assert "showing the first 1" in result.stderr
    everyone = cli("segment", "show", "tag = vip")
    assert people["Ann"] in everyone.stdout and everyone.stderr == ""

    shown = cli.json("segment", "show", "tag = vip", "--limit", "1")
    assert (shown["count"], shown["query"], shown["warnings"]) == (2, "tag = vip", [])
    assert [c["id"] for c in shown["items"]] == [people["Maria"]]
    assert shown["items"][0]["tags"] == ["vip"]
    none = cli("segment", "show", "tag = nobody")
    assert none.stdout == "0 contacts match\n"
    assert "no tag named 'nobody'" in none.stderr


# -- saved segments -----------------------------------------------------------------------------
def test_save_list_count_delete(cli: Cli, people: dict[str, str]) -> None:
    assert cli("segment", "list").stdout == "no saved segments\n"
    saved = cli.json("segment", "save", "VIP", "tag=vip", "--description", "the best")
    assert (saved["name"], saved["query"], saved["description"]) == ("VIP", "tag = vip", "the best")
    human = cli("segment", "save", "VIP PT", 'segment = "VIP" country = PT')
    assert human.stdout == "Saved segment 'VIP PT': segment = \"VIP\" AND country = PT\n"

    taken = cli("segment", "save", "VIP", "tag = newsletter")
    assert taken.exit_code == 4 and "exists already" in one_line_error(taken)
    replaced = cli.json("segment", "save", "VIP", "tag = vip OR tag = newsletter", "--replace")
    assert replaced["query"] == "tag = vip OR tag = newsletter"
    assert replaced["description"] is None

    assert cli.json("segment", "count", "VIP")["count"] == 3  # a name alone is the segment
    assert cli.json("segment", "count", "VIP PT")["count"] == 2
    listed = cli.json("segment", "list")
    assert [(s["name"], s["query"]) for s in listed] == [
        ("VIP", "tag = vip OR tag = newsletter"),
        ("VIP PT", 'segment = "VIP" AND country = PT'),
    ]
    assert "count" not in listed[0]
    counted = cli.json("segment", "list", "--counts")
    assert [(s["name"], s["count"], s["error"]) for s in counted] == [
        ("VIP", 3, None),
        ("VIP PT", 2, None),
    ]
    table = cli("segment", "list", "--counts")
    words = " ".join(table.stdout.split())
    assert "VIP 3 tag = vip OR tag =" in words and "VIP PT 2 segment =" in words

    used = cli("segment", "delete", "VIP", "--yes")
    assert used.exit_code == 4 and "used by 'VIP PT'" in one_line_error(used)
    assert cli.json("segment", "delete", "VIP PT", "--yes") == {"deleted": "VIP PT"}
    gone = cli("segment", "delete", "VIP PT", "--yes")
    assert gone.exit_code == 3 and "no saved segment named 'VIP PT'" in one_line_error(gone)
    deleted = cli("segment", "delete", "VIP", "-y")
    assert deleted.stdout == "Deleted segment 'VIP'.\n"
    assert cli.json("segment", "list") == []


def test_delete_asks_first(
    cli: Cli, people: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.json("segment", "save", "VIP", "tag = vip")
    refused = cli("segment", "delete", "VIP")  # no terminal: nobody to ask
    assert refused.exit_code == 2
    assert "not deleting segment 'VIP'" in one_line_error(refused)

    monkeypatch.setattr("phonelist.cli.output.is_interactive", lambda: True)
    cancelled = cli("segment", "delete", "VIP", input="n\n")
    assert cancelled.exit_code == 1 and "cancelled" in cancelled.stderr
    assert [s["name"] for s in cli.json("segment", "list")] == ["VIP"]
    agreed = cli("segment", "delete", "VIP", input="y\n")
    assert agreed.exit_code == 0 and "Delete saved segment 'VIP' (tag = vip)?" in agreed.stderr
    assert cli.json("segment", "list") == []


def test_list_counts_a_broken_segment(cli: Cli, people: dict[str, str]) -> None:
    cli.json("segment", "save", "Members", "status = member")
    cli.json("statuses", "set", "lead", "customer", "inactive")  # nobody was a member
    counted = cli.json("segment", "list", "--counts")
    assert counted[0]["count"] is None
    assert "no longer works: unknown status 'member'" in counted[0]["error"]
    table = cli("segment", "list", "--counts")
    assert table.exit_code == 0 and "error" in table.stdout
    assert "Members: saved segment 'Members' no longer works" in table.stderr


def test_save_refuses_a_bad_query(cli: Cli, people: dict[str, str]) -> None:
    result = cli("segment", "save", "Bad", "tag = = vip")
    assert result.exit_code == 5
    assert result.stderr.splitlines()[1:] == ["  tag = = vip", "        ^"]
    assert cli.json("segment", "list") == []


# -- export and freeze --------------------------------------------------------------------------
def test_export_a_segment(cli: Cli, people: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "vip.csv"
    result = cli(
        "segment", "export", "tag = vip", "-o", str(target), "--columns", "id,display_name"
    )
    assert result.exit_code == 0, result.output
    assert " ".join(result.stdout.split()) == f"Exported 2 contacts to {target} (csv)."
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows == [
        {"id": people["Maria"], "display_name": "Maria Silva"},
        {"id": people["Ann"], "display_name": "Ann"},
    ]
    summary = cli.json("segment", "export", "country = PT", "-o", str(target), "--force")
    assert (summary["rows"], summary["format"], summary["path"]) == (2, "csv", str(target))

    lines = cli("segment", "export", "country = US", "--format", "jsonl", "-o", "-")
    assert [json.loads(line)["id"] for line in lines.stdout.splitlines()] == [people["Ann"]]


def test_export_with_a_bad_query_writes_nothing(
    cli: Cli, people: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    result = cli("segment", "export", "contry = PT", "-o", str(folder / "out.csv"))
    assert result.exit_code == 5
    assert result.stderr.splitlines()[1:] == ["  contry = PT", "  ^^^^^^"]
    assert list(folder.iterdir()) == []  # not even the temporary file


def test_freeze(cli: Cli, people: dict[str, str]) -> None:
    result = cli("segment", "freeze", "country = PT", "--list", "PT snapshot")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Copied 2 contacts into the new list 'PT snapshot'.\n"
    cli.add("--name", "Late", "--phone", "+351912345010", "--country", "PT")
    assert cli.json("segment", "count", 'list = "PT snapshot"')["count"] == 2  # a snapshot
    again = cli("segment", "freeze", "country = PT", "--list", "PT snapshot")
    assert again.exit_code == 4 and "exists already" in one_line_error(again)
    assert cli.json("segment", "freeze", "tag = vip", "--list", "VIPs") == {
        "list": "VIPs",
        "contacts": 2,
    }


# -- fields -------------------------------------------------------------------------------------
def test_fields(cli: Cli, people: dict[str, str]) -> None:
    found = {f["name"]: f for f in cli.json("segment", "fields")}
    assert found["country"]["type"] == "code"
    assert found["created"]["type"] == "datetime"
    assert found["consent.sms.marketing"]["type"] == "consent"
    assert found["custom.plan"] == {
        "name": "custom.plan",
        "type": "choice",
        "description": "custom field (choice: free, pro)",
    }
    assert "lead, customer" in found["status"]["description"]
    table = cli("segment", "fields")
    assert table.exit_code == 0
    assert "custom.plan" in table.stdout and "sendable.sms.marketing" in table.stdout
