"""``phonelist policy check`` and ``phonelist inbound``: decisions and replies through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from phonelist.cli.consent_ledger import LEDGER_BROKEN_EXIT
from phonelist.cli.output import EXIT_CODES
from phonelist.cli.policy import BLOCKED_EXIT
from phonelist.clock import utcnow
from tests.cli.helpers import Cli, one_line_error

NUMBER = "+1 305 555 0123"  # Miami: Florida hours (H3), America/New_York
TERMS = "I agree to automated marketing texts from Acme. Consent is not a condition of purchase."


def check(cli: Cli, *args: str) -> tuple[Result, dict[str, Any]]:
    result = cli("policy", "check", *args, "--json")
    assert result.exit_code in (0, BLOCKED_EXIT), (result.exit_code, result.stderr)
    return result, json.loads(result.stdout)


def written_consent(cli: Cli, number: str = NUMBER) -> None:
    cli.json(
        "consent",
        "disclosure",
        "add",
        "terms",
        "--text",
        TERMS,
        "--automated-marketing",
        "--not-condition-of-purchase",
    )
    cli.json(
        "consent",
        "grant",
        number,
        "--channel",
        "sms",
        "--purpose",
        "marketing",
        "--method",
        "web_form",
        "--disclosure",
        "terms",
        "--at",
        "2025-01-02T15:00:00Z",
    )


def codes(decision: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r["rule"], r["code"]) for r in decision["reasons"] if r["blocks"]}


def test_exit_codes_are_documented() -> None:
    documented = {code: name for code, name, _ in EXIT_CODES}
    assert documented[BLOCKED_EXIT] == "blocked"
    assert documented[LEDGER_BROKEN_EXIT] == "ledger broken"


def test_stop_blocks_every_later_send(cli: Cli) -> None:
    written_consent(cli)
    at = "2030-06-12T14:00:00-04:00"  # a Wednesday, 14:00 in Miami
    result, before = check(cli, NUMBER, "--channel", "sms", "--purpose", "marketing", "--at", at)
    assert result.exit_code == 0 and before["allowed"] is True
    assert ("C1", "consent_ok_written") in {(r["rule"], r["code"]) for r in before["reasons"]}
    assert before["time_zones"] == ["America/New_York"] and before["time_zone_source"] == "number"
    assert before["rules_version"].startswith("us-federal@")

    stop = cli.json("inbound", NUMBER, "STOP")
    assert (stop["kind"], stop["rule"]) == ("opt_out", "O1")
    assert stop["actions"] == ["revoked", "replied"]
    assert len(stop["replies"]) == 1 and "unsubscribed" in stop["replies"][0]

    for channel, purpose in [("sms", "marketing"), ("voice", "informational")]:
        result, after = check(cli, NUMBER, "--channel", channel, "--purpose", purpose, "--at", at)
        assert result.exit_code == BLOCKED_EXIT
        assert ("O3", "consent_revoked") in codes(after)
        assert after["allowed"] is False and after["next_allowed_at"] is None

    human = cli("policy", "check", NUMBER, "--channel", "sms", "--purpose", "marketing")
    assert human.exit_code == BLOCKED_EXIT
    assert human.stdout.startswith("BLOCKED  +13055550123 sms marketing")
    assert "consent_revoked" in human.stdout and "O3" in human.stdout


def test_help_is_answered_even_after_an_opt_out(cli: Cli) -> None:
    cli.json("inbound", NUMBER, "STOP")
    help_reply = cli.json("inbound", NUMBER, "help")
    assert (help_reply["kind"], help_reply["rule"]) == ("help", "O6")
    assert help_reply["actions"] == ["replied"]
    assert "Reply STOP to unsubscribe" in help_reply["replies"][0]
    assert help_reply["gateway"] == "recording"

    human = cli("inbound", NUMBER, "STOP")  # a second STOP: no second confirmation (O5)
    assert human.exit_code == 0
    assert "no second confirmation" in human.stdout
    assert "unsubscribed" not in human.stdout


def test_florida_evening_is_deferred_to_the_next_morning(cli: Cli) -> None:
    written_consent(cli)
    at = "2030-06-12T20:30:00-04:00"  # FL: [08:00, 20:00) local (H3)
    result, decision = check(cli, NUMBER, "--channel", "sms", "--purpose", "marketing", "--at", at)
    assert result.exit_code == BLOCKED_EXIT
    assert any(code == "outside_hours" for _, code in codes(decision))
    assert decision["next_allowed_at"] == "2030-06-13T12:00:00+00:00"
    assert decision["next_allowed_local"].startswith("2030-06-13 08:00:00 EDT")

    human = cli("policy", "check", NUMBER, "--channel", "sms", "--purpose", "marketing", "--at", at)
    assert "next allowed  2030-06-13 12:00:00 UTC = 2030-06-13 08:00:00 EDT" in human.stdout


def test_registered_number_without_written_consent_is_blocked(cli: Cli, tmp_path: Path) -> None:
    registry = tmp_path / "305.txt"
    registry.write_text("3055550123\n305,5550188\n", encoding="utf-8")
    today = utcnow().date().isoformat()
    cli.json("dnc", "import", str(registry), "--registry-date", today)
    cli.json(
        "consent", "grant", NUMBER, "--channel", "sms", "--purpose", "marketing", "--method", "api"
    )
    result, decision = check(cli, NUMBER, "--channel", "sms", "--purpose", "marketing")
    assert result.exit_code == BLOCKED_EXIT
    assert ("D2", "dnc_registered") in codes(decision)
    assert ("C1", "consent_not_written") in codes(decision)


@pytest.mark.parametrize(
    ("args", "exit_code", "expected"),
    [
        (["--purpose", "sales"], 2, ""),
        (["--purpose", "marketing", "--at", "2030-06-12 14:00"], 5, "--at needs a time zone"),
        (["--purpose", "marketing", "--at", "noon"], 5, "--at expects an ISO 8601 date"),
    ],
)
def test_bad_checks(cli: Cli, args: list[str], exit_code: int, expected: str) -> None:
    result = cli("policy", "check", NUMBER, "--channel", "sms", *args)
    assert result.exit_code == exit_code, result.output
    if expected:
        assert expected in one_line_error(result)


def test_bad_inbound(cli: Cli) -> None:
    result = cli("inbound", "not a number", "STOP")
    assert result.exit_code == 5
    assert "not a usable phone number" in one_line_error(result)
    longer = cli("inbound", NUMBER, "x" * 1601)
    assert longer.exit_code == 5
    assert "longer than 1600 characters" in one_line_error(longer)
