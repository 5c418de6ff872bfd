"""Bad input gives one clear line, a non-zero exit code, and writes nothing."""

from __future__ import annotations

import json

import pytest

from tests.cli.helpers import Cli, one_line_error

INVALID_UTF8 = b"Ana \xff\xfe".decode("utf-8", "surrogateescape")
MEGABYTE = "x" * 1_000_000


@pytest.mark.parametrize(
    ("args", "exit_code", "expected"),
    [
        (["--name", "Ana\x00"], 5, "error: display_name: control character U+0000 is not allowed"),
        (["--name", "Ana\x1b[31m"], 5, "control character U+001B"),
        (["--city", "Porto\nLisboa"], 5, "city: control character U+000A"),
        (["--name", MEGABYTE], 5, "display_name: String should have at most 200 characters"),
        (["--name", "Ana", "--note", MEGABYTE], 5, "note: String should have at most 10000"),
        (["--name", INVALID_UTF8], 5, "error: --name is not valid UTF-8"),
        (["--phone", INVALID_UTF8], 5, "error: --phone is not valid UTF-8"),
        (["--name", "Ana", "--field", "shoe=42"], 5, "unknown custom field 'shoe'"),
        (["--name", "Ana", "--field", "shoe"], 2, "--field expects NAME=VALUE"),
        (["--name", "Ana", "--country", "Portugal"], 5, "country: country must be an upper-case"),
        (["--name", "Ana", "--country", "pt"], 5, "country must be an upper-case"),
        (["--name", "Ana", "--time-zone", "Mars/Olympus"], 5, "time_zone must be an IANA zone"),
        (["--name", "Ana", "--status", "vip"], 5, "unknown status 'vip'"),
        (["--phone", "12"], 5, "error: phones[0].number: '12' is not a usable phone number"),
        (["--phone", "+351 912 345 678", "--phone", "912345678", "--country", "PT"], 5, "twice"),
        (["--email", "not-an-email"], 5, "emails[0].email: not an email address"),
        (["--source", "fair"], 5, "at least a name, a phone number or an email"),
    ],
)
def test_bad_contact_input(cli: Cli, args: list[str], exit_code: int, expected: str) -> None:
    before = cli.count_contacts()
    result = cli("contacts", "add", *args)
    assert result.exit_code == exit_code
    line = one_line_error(result)
    assert expected in line
    assert len(line) < 700  # a 1 MB value is never echoed back
    assert result.stdout == ""
    assert cli.count_contacts() == before


def test_bad_input_as_json(cli: Cli) -> None:
    result = cli("contacts", "add", "--name", INVALID_UTF8, "--json")
    assert result.exit_code == 5
    error = json.loads(result.stdout)["error"]
    assert error == {
        "code": "invalid",
        "message": "--name is not valid UTF-8 (the shell passed bytes that are not text)",
        "field": "name",
        "details": {},
    }
    assert cli.count_contacts() == 0


@pytest.mark.parametrize(
    "args",
    [
        ["contacts", "show", INVALID_UTF8],
        ["contacts", "list", "--tag", INVALID_UTF8],
        ["search", f"ana{INVALID_UTF8}@example.org"],
        ["tokens", "revoke", INVALID_UTF8],
        ["fields", "add", "size", "--type", "choice", "--choice", INVALID_UTF8],
    ],
)
def test_invalid_utf8_anywhere_is_a_validation_error(cli: Cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 5
    assert "is not valid UTF-8" in one_line_error(result)


def test_invalid_utf8_on_stdin(cli: Cli) -> None:
    contact = cli.add("--name", "Ana")
    result = cli("contacts", "note", contact["id"], "-", input=b"ok \xff")
    assert result.exit_code == 5
    assert one_line_error(result) == "error: stdin is not valid UTF-8 (byte 3)"
    assert cli.json("contacts", "show", contact["id"])["notes"] == []


def test_bad_tags_and_notes_write_nothing(cli: Cli) -> None:
    contact = cli.add("--name", "Ana")
    tag = cli("contacts", "tag", contact["id"], "ok", "bad\x07")
    assert tag.exit_code == 5
    assert "tags[1]: control character U+0007" in one_line_error(tag)
    note = cli("contacts", "note", contact["id"], "x" * 10_001)
    assert note.exit_code == 5
    assert cli.json("contacts", "show", contact["id"]) == contact


@pytest.mark.parametrize(
    "value",
    [
        "'; DROP TABLE contacts; --",
        "<script>alert(1)</script>",
        "\"double\" and 'single' quotes, back\\slash",
        "emoji 📞🙂👩‍👩‍👧 and flags 🇵🇹",
        "João Gonçalves Ñúñez Łódź Ærøskøbing",
        "[bold red]not markup[/bold red] :smile: %s {0} $(id) `id`",
        "  spaces kept  ",
    ],
)
def test_metacharacters_round_trip_exactly(cli: Cli, value: str) -> None:
    added = cli.add(
        "--name", value,
        "--city", value[:100],
        "--tag", value[:64],
        "--list", value[:100],
        "--source", value[:100],
        "--note", value,
    )  # fmt: skip
    shown = cli.json("contacts", "show", added["id"])
    assert shown["display_name"] == value
    assert shown["city"] == value[:100]
    assert shown["tags"] == [value[:64]]
    assert shown["lists"] == [value[:100]]
    assert shown["source"] == value[:100]
    assert shown["notes"][0]["body"] == value
    human = cli("contacts", "show", added["id"])
    assert value.strip() in human.stdout  # Rich prints it as text, markup and all
    assert cli.count_contacts() == 1


def test_huge_values_are_never_echoed_back(cli: Cli) -> None:
    result = cli("contacts", "add", "--name", "Ana", "--field", f"{MEGABYTE}=1")
    assert result.exit_code == 5
    line = one_line_error(result)
    assert line.startswith("error: custom.xxx")
    assert "at most 64 characters" in line and len(line) < 700
    assert cli.count_contacts() == 0
