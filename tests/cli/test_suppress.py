"""``phonelist suppress ...`` and ``phonelist dnc ...``: do-not-contact lists through the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from phonelist.cli.policy import BLOCKED_EXIT
from phonelist.cli.suppress import RegistryChoice, RegistryKind, SuppressionKind
from phonelist.clock import utcnow
from phonelist.suppression import registry, registry_files, service
from tests.cli.helpers import Cli, one_line_error

NUMBER = "+1 305 555 0123"
E164 = "+13055550123"


def test_choices_mirror_the_core() -> None:
    assert tuple(SuppressionKind) == service.KINDS
    assert tuple(RegistryKind) == registry_files.KINDS
    assert tuple(RegistryChoice) == registry.REGISTRIES


def test_add_list_show_lift(cli: Cli) -> None:
    consent = ["--channel", "sms", "--purpose", "informational", "--method", "verbal"]
    cli.json("consent", "grant", NUMBER, *consent)
    added = cli.json("suppress", "add", NUMBER, "--source", "call centre", "--reason", "asked")
    assert (added["number"], added["kind"], added["active"]) == (E164, "internal_dnc", True)
    again = cli.json("suppress", "add", "305-555-0123")
    assert again["id"] == added["id"]  # already suppressed: the same entry

    assert [e["id"] for e in cli.json("suppress", "list")] == [added["id"]]
    human = cli("suppress", "list")
    assert human.exit_code == 0 and added["id"] in human.stdout

    # D1: whatever consent says, a suppressed number is not contacted, informational included.
    check = cli(
        "policy", "check", NUMBER, "--channel", "sms", "--purpose", "informational", "--json"
    )
    assert check.exit_code == BLOCKED_EXIT
    reasons = {(r["rule"], r["code"]) for r in json.loads(check.stdout)["reasons"] if r["blocks"]}
    assert ("D1", "internal_dnc") in reasons

    lifted = cli.json("suppress", "lift", added["id"], "--reason", "asked to hear from us")
    assert lifted["active"] is False and lifted["lifted_at"] is not None
    assert cli.json("suppress", "list") == []
    assert [e["id"] for e in cli.json("suppress", "list", "--all")] == [added["id"]]
    history = cli.json("suppress", "show", NUMBER)
    assert history["number"] == E164
    assert [(e["id"], e["active"]) for e in history["suppressions"]] == [(added["id"], False)]
    shown = cli("suppress", "show", NUMBER)
    assert "lifted" in shown.stdout


@pytest.mark.parametrize(
    ("args", "exit_code", "expected"),
    [
        (["lift", "01ABCDEFGHJKMNPQRSTVWXYZ00", "--reason", "x"], 3, "no suppression"),
        (["lift", "01ABCDEFGHJKMNPQRSTVWXYZ00"], 2, ""),
        (["add", NUMBER, "--kind", "spam"], 2, ""),
        (["add", "123"], 5, "not a usable phone number"),
        (["add", NUMBER, "--at", "2025-01-01"], 5, "--at needs a time zone"),
        (["deactivations", "missing.txt"], 5, "missing.txt: no such file"),
    ],
)
def test_bad_suppressions(cli: Cli, args: list[str], exit_code: int, expected: str) -> None:
    result = cli("suppress", *args)
    assert result.exit_code == exit_code, result.output
    if expected:
        assert expected in one_line_error(result)
    assert cli.json("suppress", "list", "--all") == []


def test_carrier_deactivations(cli: Cli, tmp_path: Path) -> None:
    file = tmp_path / "deactivated.txt"
    file.write_text("# carrier X\n3055550123,2025-05-01\n+1 202 555 0143\n", encoding="utf-8")
    assert cli.json("suppress", "deactivations", str(file), "--source", "carrier X") == {
        "file": "deactivated.txt",
        "suppressed": 2,
    }
    (entry,) = cli.json("suppress", "show", NUMBER)["suppressions"]
    assert (entry["kind"], entry["source"]) == ("carrier_deactivated", "carrier X")
    assert entry["created_at"].startswith("2025-05-01T00:00:00")


def test_dnc_import_and_status(cli: Cli, tmp_path: Path) -> None:
    full = tmp_path / "305.txt"
    full.write_text("3055550123\n305,5550188\n", encoding="utf-8")
    changes = tmp_path / "202.txt"
    changes.write_text("2025550143\n", encoding="utf-8")
    today = utcnow().date()
    old = (today - dt.timedelta(days=40)).isoformat()
    imported = cli.json("dnc", "import", str(full), "--registry-date", today.isoformat())
    assert imported == {
        "registry_date": today.isoformat(),
        "files": [
            {
                "file": "305.txt",
                "registry": "us_dnc",
                "kind": "full",
                "area_codes": ["305"],
                "added": 2,
                "deleted": 0,
            }
        ],
    }
    human_import = cli("dnc", "import", str(changes), "--registry-date", old, "--kind", "additions")
    assert human_import.exit_code == 0 and "202.txt" in human_import.stdout
    status = {s["area_code"]: s for s in cli.json("dnc", "status")}
    assert (status["305"]["numbers"], status["305"]["age_days"], status["305"]["stale"]) == (
        2,
        0,
        False,
    )
    assert (status["202"]["age_days"], status["202"]["stale"]) == (40, True)
    human = cli("dnc", "status")
    assert "STALE" in human.stdout and "fresh" in human.stdout

    # D3: stale data for 202 blocks marketing there, with the reason said.
    voice_marketing = ["--channel", "voice", "--purpose", "marketing", "--json"]
    check = cli("policy", "check", "+1 202 555 0199", *voice_marketing)
    assert check.exit_code == BLOCKED_EXIT
    assert "registry_stale" in {r["code"] for r in json.loads(check.stdout)["reasons"]}


@pytest.mark.parametrize(
    ("content", "date_offset", "expected"),
    [
        ("3055550123\nnot-a-number\n", 0, "line 2"),
        ("3055550123\n", -1, "the registry date is in the future"),
    ],
)
def test_bad_registry_imports_change_nothing(
    cli: Cli, tmp_path: Path, content: str, date_offset: int, expected: str
) -> None:
    file = tmp_path / "305.txt"
    file.write_text(content, encoding="utf-8")
    day = (utcnow().date() - dt.timedelta(days=date_offset)).isoformat()
    result = cli("dnc", "import", str(file), "--registry-date", day)
    assert result.exit_code == 5, result.output
    assert expected in one_line_error(result)
    assert cli.json("dnc", "status") == []
