"""``phonelist campaigns ...`` and ``phonelist messages ...``."""

from __future__ import annotations

from typing import Any

import pytest

from phonelist import Phonelist
from tests.campaigns.support import disclose, person
from tests.cli.helpers import Cli, one_line_error


@pytest.fixture
def people(cli: Cli) -> dict[str, str]:
    with Phonelist.open(cli.settings) as core:
        disclose(core)
        return {
            "ana": person(core, "+12025550101", first_name="Ana"),
            "bare": person(core, "+12025550102", consent=()),
        }


def create(cli: Cli, *extra: str) -> dict[str, Any]:
    created: dict[str, Any] = cli.json(
        "campaigns", "create", "--name", "June", "--body", "Hi {first_name|there}!",
        "--purpose", "informational", "--list", "audience", *extra,
    )  # fmt: skip
    return created


def test_create_preview_launch_stats(cli: Cli, people: dict[str, str]) -> None:
    created = create(cli)
    assert (created["status"], created["schedule_kind"]) == ("draft", "now")
    preview = cli.json("campaigns", "preview", created["id"])
    assert (preview["audience"], preview["send"], preview["excluded"]) == (2, 1, 1)
    # Informational: the CLI reads the real clock, and marketing has quiet hours (H2).
    assert preview["samples"][0]["text"] == "Hi Ana!"
    text = cli("campaigns", "preview", created["id"])
    assert text.exit_code == 0, text.output
    assert "no consent" in text.stdout and "audience 2: 1 to send" in text.stdout
    one = cli.json("campaigns", "preview", created["id"], "--contact", people["bare"])
    assert (one["outcome"], one["category"]) == ("excluded", "no_consent")
    launched = cli("campaigns", "launch", created["id"])
    assert launched.exit_code == 0
    assert "1 message(s) queued now, 1 in all" in launched.stdout
    again = cli.json("campaigns", "launch", created["id"])
    assert (again["enqueued"], again["queued"]) == (0, 1)
    stats = cli.json("campaigns", "stats", created["id"])
    assert stats["by_state"]["queued"] == 1
    assert "delivery rate" in cli("campaigns", "stats", created["id"]).stdout
    assert cli.json("campaigns", "pause", created["id"])["status"] == "paused"
    assert cli.json("campaigns", "resume", created["id"])["status"] == "sending"
    assert cli.json("campaigns", "cancel", created["id"])["status"] == "cancelled"
    listed = cli("campaigns", "list")
    assert created["id"] in listed.stdout and "cancelled" in listed.stdout
    shown = cli("campaigns", "show", created["id"])
    assert "Hi {first_name|there}!" in shown.stdout


def test_schedules_and_errors(cli: Cli, people: dict[str, str]) -> None:
    local = create(cli, "--local", "2026-03-08 08:05")
    assert (local["local_date"], local["local_time"]) == ("2026-03-08", "08:05")
    utc = create(cli, "--at", "2026-07-01T15:00:00Z")
    assert utc["send_at"].startswith("2026-07-01T15:00:00")
    both = cli("campaigns", "create", "--name", "x", "--body", "y", "--list", "a", "--query", "b")
    assert both.exit_code == 2
    assert "exactly one" in one_line_error(both)
    bad = cli("campaigns", "create", "--name", "x", "--body", "Hi {nme}", "--list", "audience")
    assert bad.exit_code == 5
    assert "unknown field 'nme'" in one_line_error(bad)
    missing = cli("campaigns", "show", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert missing.exit_code == 3
    no_reason = cli(
        "campaigns", "create", "--name", "x", "--body", "Storm", "--purpose", "emergency",
        "--list", "audience",
    )  # fmt: skip
    assert no_reason.exit_code == 5
    assert "emergency_reason" in one_line_error(no_reason)


def test_messages_send_log_call_conversation(cli: Cli, people: dict[str, str]) -> None:
    sent = cli.json("messages", "send", people["ana"], "Hi {first_name}, it shipped")
    assert sent["text"] == "Hi Ana, it shipped"
    blocked = cli("messages", "send", people["bare"], "Hello")
    assert blocked.exit_code == 4
    assert "policy does not allow" in one_line_error(blocked)
    logged = cli.json(
        "messages", "log-call", people["ana"], "voicemail", "--notes", "Left a message",
        "--at", "2026-01-05T10:00:00Z",
    )  # fmt: skip
    assert (logged["kind"], logged["subject"]) == ("call_log", "voicemail")
    thread = cli.json("messages", "conversation", people["ana"])
    assert [m["body"] for m in thread] == ["Left a message", "Hi Ana, it shipped"]
    shown = cli("messages", "conversation", people["ana"])
    assert "call: voicemail" in shown.stdout and "+12025550101" in shown.stdout
    wrong = cli("messages", "log-call", people["ana"], "maybe")
    assert wrong.exit_code == 5
