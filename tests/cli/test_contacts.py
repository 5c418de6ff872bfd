"""Contacts through the CLI: add, show, edit, list, search, tag, note, merge, delete."""

from __future__ import annotations

import json

import pytest

from tests.cli.helpers import Cli, one_line_error


def test_round_trip(cli: Cli) -> None:
    added = cli.add(
        "--name", "Ana Lima",
        "--first", "Ana",
        "--phone", "mobile=+351 912 345 678",
        "--phone", "+1 202 555 0143",
        "--email", "work=ana@example.org",
        "--country", "PT",
        "--city", "Porto",
        "--time-zone", "Europe/Lisbon",
        "--tag", "vip",
        "--list", "newsletter",
        "--note", "met at the fair",
        "--source", "fair 2024",
    )  # fmt: skip
    contact_id = added["id"]
    shown = cli.json("contacts", "show", contact_id)
    assert shown == added
    assert [(p["e164"], p["label"], p["primary"]) for p in shown["phones"]] == [
        ("+351912345678", "mobile", True),
        ("+12025550143", None, False),
    ]
    assert [(e["email"], e["label"]) for e in shown["emails"]] == [("ana@example.org", "work")]
    assert (shown["country"], shown["city"], shown["time_zone"]) == ("PT", "Porto", "Europe/Lisbon")
    assert (shown["tags"], shown["lists"], shown["source"]) == (
        ["vip"],
        ["newsletter"],
        "fair 2024",
    )
    assert [n["body"] for n in shown["notes"]] == ["met at the fair"]

    edited = cli.json("contacts", "edit", contact_id, "--city", "Lisboa", "--status", "customer")
    assert (edited["city"], edited["status"]) == ("Lisboa", "customer")
    assert edited["first_name"] == "Ana" and edited["phones"] == shown["phones"]

    listed = cli.json("contacts", "list")
    assert [c["id"] for c in listed["items"]] == [contact_id]
    assert listed["next_cursor"] is None

    # Numbers in other formats (national ones are read in the default region, US), an email in
    # another case, a word of the name.
    queries = ("+351 912-345-678", "+351912345678", "(202) 555-0143", "ANA@example.org", "lima")
    for query in queries:
        found = cli.json("search", query)
        assert [c["id"] for c in found["items"]] == [contact_id], query

    result = cli("contacts", "delete", contact_id, "--yes")
    assert result.exit_code == 0, result.stderr
    assert contact_id in result.stdout
    assert cli.count_contacts() == 0
    missing = cli("contacts", "show", contact_id)
    assert missing.exit_code == 3
    assert one_line_error(missing) == f"error: no contact with id {contact_id!r}"


def test_human_output_shows_the_contact(cli: Cli) -> None:
    result = cli("contacts", "add", "--name", "Ana Lima", "--phone", "+351 912 345 678")
    assert result.exit_code == 0, result.stderr
    assert "Added contact" in result.stdout
    assert "Ana Lima" in result.stdout and "+351912345678" in result.stdout
    listed = cli("contacts", "list")
    assert "Ana Lima" in listed.stdout and "+351912345678" in listed.stdout
    assert cli("search", "nobody").stderr.strip() == "no contact matches"


def test_duplicate_number_is_refused_naming_the_owner(cli: Cli) -> None:
    first = cli.add("--name", "Ana", "--phone", "+351 912 345 678")
    result = cli("contacts", "add", "--name", "Other", "--phone", "912345678", "--country", "PT")
    assert result.exit_code == 4
    assert first["id"] in one_line_error(result)
    as_json = cli("contacts", "add", "--name", "Other", "--phone", "+351912345678", "--json")
    assert as_json.exit_code == 4
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == "number_taken"
    assert error["field"] == "phones[0].number"
    assert error["details"] == {"contact_id": first["id"]}
    assert cli.count_contacts() == 1


def test_edit_changes_only_what_is_given_and_clears(cli: Cli) -> None:
    contact = cli.add(
        "--name", "Ana", "--city", "Porto", "--phone", "+351 912 345 678", "--tag", "a"
    )  # fmt: skip
    edited = cli.json(
        "contacts", "edit", contact["id"], "--phone", "work=+351 913 000 000", "--clear", "city"
    )
    assert [(p["e164"], p["label"]) for p in edited["phones"]] == [("+351913000000", "work")]
    assert edited["city"] is None
    assert (edited["display_name"], edited["tags"]) == ("Ana", ["a"])
    cleared = cli.json("contacts", "edit", contact["id"], "--clear", "tag", "--clear", "name")
    assert (cleared["tags"], cleared["display_name"]) == ([], None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "nothing to change"),
        (["--clear", "colour"], "--clear 'colour' is not a field"),
        (["--city", "X", "--clear", "city"], "contradict"),
    ],
)
def test_edit_usage_errors(cli: Cli, args: list[str], message: str) -> None:
    contact = cli.add("--name", "Ana", "--city", "Porto")
    result = cli("contacts", "edit", contact["id"], *args)
    assert result.exit_code == 2
    assert message in one_line_error(result)
    assert cli.json("contacts", "show", contact["id"]) == contact


def test_tag_untag_and_note(cli: Cli) -> None:
    contact = cli.add("--name", "Ana", "--tag", "a")
    tagged = cli.json("contacts", "tag", contact["id"], "b", "c", "a")
    assert tagged["tags"] == ["a", "b", "c"]
    untagged = cli.json("contacts", "untag", contact["id"], "a", "zzz")
    assert untagged["tags"] == ["b", "c"]
    noted = cli.json("contacts", "note", contact["id"], "first line\nsecond line")
    assert [n["body"] for n in noted["notes"]] == ["first line\nsecond line"]
    from_stdin = cli.json("contacts", "note", contact["id"], "-", input="from stdin\n")
    assert [n["body"] for n in from_stdin["notes"]][-1] == "from stdin\n"
    human = cli("contacts", "tag", contact["id"], "d")
    assert human.stdout.strip() == f"Contact {contact['id']} tags: b, c, d"


def test_merge(cli: Cli) -> None:
    target = cli.add("--name", "Ana", "--phone", "+351 912 345 678")
    source = cli.add("--first", "Ana", "--email", "ana@example.org", "--tag", "x")
    refused = cli("contacts", "merge", target["id"], source["id"])
    assert refused.exit_code == 2
    assert "pass --yes" in one_line_error(refused)
    merged = cli.json("contacts", "merge", target["id"], source["id"], "--yes")
    assert merged["id"] == target["id"]
    assert merged["first_name"] == "Ana"
    assert [e["email"] for e in merged["emails"]] == ["ana@example.org"]
    assert merged["tags"] == ["x"]
    assert cli.count_contacts() == 1


def test_delete_without_terminal_or_yes_is_refused(cli: Cli) -> None:
    contact = cli.add("--name", "Ana")
    result = cli("contacts", "delete", contact["id"])
    assert result.exit_code == 2
    line = one_line_error(result)
    assert "not deleting contact" in line and "--yes" in line
    assert cli.count_contacts() == 1


def test_delete_asks_at_a_terminal(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("phonelist.cli.output.is_interactive", lambda: True)
    contact = cli.add("--name", "Ana")
    declined = cli("contacts", "delete", contact["id"], input="n\n")
    assert declined.exit_code == 1
    assert "cancelled" in declined.stderr
    assert cli.count_contacts() == 1
    accepted = cli("contacts", "delete", contact["id"], input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert cli.count_contacts() == 0


def test_list_pages_and_filters(cli: Cli) -> None:
    ids = [cli.add("--name", f"Person {n}", "--tag", "even" if n % 2 == 0 else "odd")["id"]
           for n in range(5)]  # fmt: skip
    first = cli.json("contacts", "list", "--limit", "2")
    assert [c["id"] for c in first["items"]] == ids[:2]
    second = cli.json("contacts", "list", "--limit", "2", "--cursor", first["next_cursor"])
    assert [c["id"] for c in second["items"]] == ids[2:4]
    everything = cli.json("contacts", "list", "--limit", "2", "--all")
    assert [c["id"] for c in everything["items"]] == ids
    assert everything["next_cursor"] is None
    even = cli.json("contacts", "list", "--tag", "even", "--all")
    assert [c["id"] for c in even["items"]] == ids[0::2]
    human = cli("contacts", "list", "--limit", "2")
    assert "--cursor" in human.stderr
    assert cli("contacts", "list", "--limit", "0").exit_code == 2
    bad_cursor = cli("contacts", "list", "--cursor", "nonsense")
    assert bad_cursor.exit_code == 5
    assert "cursor" in one_line_error(bad_cursor)


def test_search_by_name_needs_every_word(cli: Cli) -> None:
    ana = cli.add("--first", "José", "--last", "da Silva-Lima")
    cli.add("--first", "José", "--last", "Costa")
    assert [c["id"] for c in cli.json("search", "jose lima")["items"]] == [ana["id"]]
    assert len(cli.json("search", "JOSÉ")["items"]) == 2


def test_label_syntax(cli: Cli) -> None:
    contact = cli.add(
        "--email", "=a=b@example.org", "--email", "home=ana@example.org", "--phone", "=+12025550143"
    )  # fmt: skip
    assert [(e["email"], e["label"]) for e in contact["emails"]] == [
        ("a=b@example.org", None),
        ("ana@example.org", "home"),
    ]
    assert [(p["e164"], p["label"]) for p in contact["phones"]] == [("+12025550143", None)]
    human = cli("contacts", "show", contact["id"])
    assert "ana@example.org  (home)" in human.stdout


def test_delete_as_json(cli: Cli) -> None:
    contact = cli.add("--name", "Ana")
    assert cli.json("contacts", "delete", contact["id"], "--yes") == {"deleted": contact["id"]}
