"""Custom fields through the CLI: define them, then set typed values with --field NAME=VALUE."""

from __future__ import annotations

import pytest

from tests.cli.helpers import Cli, one_line_error


@pytest.fixture
def fields(cli: Cli) -> Cli:
    cli.json("fields", "add", "age", "--type", "number")
    cli.json("fields", "add", "score", "--type", "number")
    cli.json("fields", "add", "birthday", "--type", "date", "--sensitive")
    cli.json("fields", "add", "vip", "--type", "boolean")
    cli.json("fields", "add", "size", "--type", "choice", "--choice", "S", "--choice", "M")
    cli.json("fields", "add", "nickname", "--type", "text")
    return cli


def test_fields_list(fields: Cli) -> None:
    listed = fields.json("fields", "list")
    assert [(f["name"], f["type"], f["sensitive"]) for f in listed] == [
        ("age", "number", False),
        ("birthday", "date", True),
        ("nickname", "text", False),
        ("score", "number", False),
        ("size", "choice", False),
        ("vip", "boolean", False),
    ]
    assert listed[4]["choices"] == ["S", "M"]
    assert "birthday" in fields("fields", "list").stdout


def test_typed_values(fields: Cli) -> None:
    contact = fields.add(
        "--name", "Ana",
        "--field", "age=42",
        "--field", "score=2.5",
        "--field", "birthday=1990-02-03",
        "--field", "vip=yes",
        "--field", "size=M",
        "--field", "nickname= 007 ",
    )  # fmt: skip
    assert contact["custom"] == {
        "age": 42,
        "score": 2.5,
        "birthday": "1990-02-03",
        "vip": True,
        "size": "M",
        "nickname": " 007 ",
    }


@pytest.mark.parametrize(
    ("text", "value"), [("true", True), ("NO", False), ("1", True), ("0", False)]
)
def test_boolean_spellings(fields: Cli, text: str, value: bool) -> None:
    assert fields.add("--name", "Ana", "--field", f"vip={text}")["custom"] == {"vip": value}


def test_edit_changes_only_the_fields_named(fields: Cli) -> None:
    contact = fields.add("--name", "Ana", "--field", "age=42", "--field", "vip=no")
    edited = fields.json("contacts", "edit", contact["id"], "--field", "age=43")
    assert edited["custom"] == {"age": 43, "vip": False}
    cleared = fields.json("contacts", "edit", contact["id"], "--clear", "field:vip")
    assert cleared["custom"] == {"age": 43}


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("age=forty", "custom.age must be a number"),
        ("age=nan", "custom.age must be a finite number"),
        ("age=1e999", "custom.age must be a finite number"),
        ("vip=maybe", "custom.vip must be true or false"),
        ("birthday=1990-13-03", "custom.birthday must be a date as YYYY-MM-DD"),
        ("size=XL", "custom.size must be one of: S, M"),
        ("nickname=" + "x" * 1001, "custom.nickname is longer than 1000 characters"),
        ("nickname=a\x00b", "control character U+0000"),
        ("shoe=42", "unknown custom field 'shoe'"),
    ],
)
def test_bad_values_write_nothing(fields: Cli, assignment: str, message: str) -> None:
    result = fields("contacts", "add", "--name", "Ana", "--field", assignment)
    assert result.exit_code == 5
    assert message in one_line_error(result)
    assert fields.count_contacts() == 0


@pytest.mark.parametrize(
    ("args", "exit_code"),
    [
        (["Bad-Name", "--type", "text"], 5),
        (["colour", "--type", "colour"], 5),
        (["size", "--type", "choice"], 5),
        (["age", "--type", "number"], 4),
        (["colour"], 2),
        (["colour", "--type", "choice", "--choice", "red\x01"], 5),
    ],
)
def test_bad_definitions(fields: Cli, args: list[str], exit_code: int) -> None:
    result = fields("fields", "add", *args)
    assert result.exit_code == exit_code
    assert len(fields.json("fields", "list")) == 6


def test_field_usage_errors(fields: Cli) -> None:
    contact = fields.add("--name", "Ana", "--field", "age=1")
    twice = fields("contacts", "edit", contact["id"], "--field", "age=2", "--field", "age=3")
    assert twice.exit_code == 2
    assert "--field age is given twice" in one_line_error(twice)
    both = fields("contacts", "edit", contact["id"], "--field", "age=2", "--clear", "field:age")
    assert both.exit_code == 2
    assert "contradict" in one_line_error(both)
    assert fields.json("contacts", "show", contact["id"])["custom"] == {"age": 1}


def test_human_output(fields: Cli) -> None:
    contact = fields.add("--name", "Ana", "--field", "vip=yes", "--field", "age=7")
    shown = fields("contacts", "show", contact["id"]).stdout
    assert "field:vip" in shown and "yes" in shown and "field:age" in shown
    added = fields("fields", "add", "notes2", "--type", "text")
    assert added.stdout.strip() == "Added field notes2 (text)."
