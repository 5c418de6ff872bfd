"""``phonelist privacy requests ...`` and ``phonelist retention ...`` as a user runs them."""

from __future__ import annotations

import datetime as dt

from phonelist.clock import utcnow
from tests.cli.helpers import Cli, one_line_error

NUMBER = "+12025550143"


def test_add_list_extend_close(cli: Cli) -> None:
    received = (utcnow() - dt.timedelta(days=40)).date().isoformat()
    late = cli.json(
        "privacy", "requests", "add", "access", "--number", NUMBER, "--received", received
    )
    assert late["status"] == "open" and late["overdue"] is True and late["days_left"] < 0
    assert NUMBER not in str(late)
    fresh = cli.json(
        "privacy", "requests", "add", "erasure", "--number", NUMBER, "--note", "by letter"
    )
    assert fresh["overdue"] is False and fresh["days_left"] >= 28 and fresh["note"] == "by letter"

    listed = cli("privacy", "requests", "list")
    assert listed.exit_code == 0, listed.stderr
    assert "OVERDUE" in listed.stdout and "1 overdue" in listed.stdout
    assert late["id"] in listed.stdout and fresh["id"] in listed.stdout
    overdue = cli.json("privacy", "requests", "list", "--overdue")
    assert [r["id"] for r in overdue] == [late["id"]]

    extended = cli.json(
        "privacy", "requests", "extend", late["id"], "--months", "2", "--reason", "many requests"
    )
    assert extended["status"] == "extended" and extended["extended_months"] == 2
    again = cli("privacy", "requests", "extend", late["id"], "--reason", "still busy")
    assert again.exit_code == 5 and "at most 2 months" in one_line_error(again)

    refused = cli("privacy", "requests", "close", fresh["id"], "--status", "refused")
    assert refused.exit_code == 5 and "reason" in one_line_error(refused)
    closed = cli.json("privacy", "requests", "close", fresh["id"], "--outcome", "erased")
    assert closed["status"] == "done" and closed["days_left"] is None
    shown = cli("privacy", "requests", "show", fresh["id"])
    assert shown.exit_code == 0 and "done" in shown.stdout and "erased" in shown.stdout


def test_bad_input_is_one_line(cli: Cli) -> None:
    kind = cli("privacy", "requests", "add", "complaint", "--number", NUMBER)
    assert kind.exit_code == 5 and "kind must be one of" in one_line_error(kind)
    when = cli("privacy", "requests", "add", "access", "--number", NUMBER, "--received", "soon")
    assert when.exit_code == 2 and "--received" in one_line_error(when)
    missing = cli("privacy", "requests", "show", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert missing.exit_code == 3


def test_retention_show_set_run(cli: Cli) -> None:
    shown = cli.json("retention", "show")
    rules = {r["field"]: r for r in shown["rules"]}
    assert rules["consent_evidence"]["days"] == 1826 and shown["last_run"] is None
    refused = cli("retention", "set", "consent_evidence", "365")
    assert refused.exit_code == 5 and "at least 1826 days" in one_line_error(refused)
    assert cli.json("retention", "set", "notes", "30")["days"] == 30
    text = cli("retention", "show")
    assert text.exit_code == 0 and "30 days (set)" in text.stdout

    dry = cli.json("retention", "run", "--dry-run")
    assert dry["dry_run"] is True and set(dry["counts"]) >= {"notes", "consent_evidence"}
    assert cli.json("retention", "show")["last_run"] is None  # a dry run writes nothing
    done = cli("retention", "run")
    assert done.exit_code == 0 and "purged" in done.stdout and "message_bodies" in done.stdout
    assert cli.json("retention", "show")["last_run"] is not None
