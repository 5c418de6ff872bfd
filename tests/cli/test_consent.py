"""``phonelist consent ...``: record, withdraw, show and prove consent through the real CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from phonelist import Phonelist
from phonelist.consent.commands import Grant
from tests.cli.helpers import Cli, one_line_error

NUMBER = "+1 305 555 0123"
E164 = "+13055550123"
TERMS = (
    "By ticking this box you agree to receive automated marketing texts from Acme at this "
    "number. Consent is not a condition of purchase. Reply STOP to opt out."
)


def add_terms(cli: Cli) -> dict[str, Any]:
    added: dict[str, Any] = cli.json(
        "consent",
        "disclosure",
        "add",
        "sms-terms",
        "--text",
        TERMS,
        "--language",
        "en",
        "--automated-marketing",
        "--not-condition-of-purchase",
    )
    return added


def grant(cli: Cli, *extra: str) -> dict[str, Any]:
    granted: dict[str, Any] = cli.json(
        "consent",
        "grant",
        NUMBER,
        "--channel",
        "sms",
        "--purpose",
        "marketing",
        "--method",
        "web_form",
        *extra,
    )
    return granted


def test_disclosures_are_versioned(cli: Cli, tmp_path: Path) -> None:
    first = add_terms(cli)
    assert first["name"] == "sms-terms" and first["version"] == 1
    assert len(first["sha256"]) == 64 and first["text"] == TERMS
    source = tmp_path / "terms.txt"
    source.write_text("Plain informational texts.\n", encoding="utf-8")
    second = cli.json("consent", "disclosure", "add", "sms-terms", "--file", str(source))
    assert second["version"] == 2 and second["automated_marketing"] is False

    listed = cli.json("consent", "disclosure", "list")
    assert [(d["name"], d["version"]) for d in listed] == [("sms-terms", 1), ("sms-terms", 2)]
    human = cli("consent", "disclosure", "list")
    assert human.exit_code == 0 and "sms-terms" in human.stdout

    both = cli("consent", "disclosure", "add", "x", "--text", "t", "--file", str(source))
    assert both.exit_code == 2
    assert "exactly one of --text and --file" in one_line_error(both)


def test_grant_then_show_and_history(cli: Cli) -> None:
    add_terms(cli)
    granted = grant(
        cli,
        "--disclosure",
        "sms-terms",
        "--at",
        "2025-06-01T10:00:00-04:00",
        "--source-url",
        "https://acme.example/join",
        "--form-id",
        "join-1",
        "--action",
        "ticked the unchecked box",
        "--evidence",
        "campaign=spring",
    )
    assert granted["number"] == E164
    (record,) = granted["records"]
    assert record["seq"] == 1 and record["action"] == "grant"
    assert record["occurred_at"] == "2025-06-01T14:00:00Z"
    assert record["written"] is True and record["disclosure_version"] == "sms-terms@1"
    assert record["disclosure_text"] == TERMS and record["disclosure_text_matches_hash"]
    assert record["evidence"] == {"campaign": "spring"}
    assert record["hash"] and record["prev_hash"] == "0" * 32

    shown = cli.json("consent", "show", NUMBER)
    states = {(s["channel"], s["purpose"]): s for s in shown["consents"]}
    assert len(states) == 4
    assert states[("sms", "marketing")]["status"] == "granted"
    assert states[("sms", "marketing")]["written"] is True
    assert states[("sms", "informational")]["status"] == "unknown"  # C5: no spill-over
    assert shown["suppressions"] == []
    human_state = cli("consent", "show", NUMBER)
    assert human_state.exit_code == 0
    assert "web_form, written" in human_state.stdout and "not suppressed" in human_state.stdout

    history = cli.json("consent", "history", "+13055550123")
    assert [r["id"] for r in history["records"]] == [record["id"]]
    human = cli("consent", "history", NUMBER)
    assert human.exit_code == 0
    assert "#1 grant sms marketing by web_form" in human.stdout
    assert "sms-terms@1, written consent (C1)" in human.stdout


def test_marketing_without_an_attesting_disclosure_is_not_written(cli: Cli) -> None:
    result = cli(
        "consent", "grant", NUMBER, "--channel", "sms", "--purpose", "marketing", "--method", "api"
    )
    assert result.exit_code == 0, result.stderr
    assert "Recorded consent #1" in result.stdout
    assert "Not written consent (C1)" in result.stdout


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (
            "--prechecked",
            "error: a pre-checked box is not consent (C4): the box must start unchecked",
        ),
        (
            "--condition-of-purchase",
            "error: consent made a condition of purchase is not consent (C4)",
        ),
    ],
)
def test_c4_bundled_or_prechecked_consent_is_refused(cli: Cli, flag: str, message: str) -> None:
    args = ["--channel", "sms", "--purpose", "marketing", "--method", "web_form", flag]
    result = cli("consent", "grant", NUMBER, *args)
    assert result.exit_code == 5
    assert one_line_error(result) == message
    assert cli.json("consent", "history", NUMBER)["records"] == []


@pytest.mark.parametrize(
    ("args", "exit_code", "expected"),
    [
        (["12", "--channel", "sms"], 5, "is not a usable phone number"),
        ([NUMBER, "--channel", "fax"], 2, ""),
        ([NUMBER, "--channel", "sms", "--disclosure", "nope"], 3, "no disclosure named"),
        ([NUMBER, "--channel", "sms", "--at", "2025-06-01T10:00:00"], 5, "--at needs a time zone"),
        ([NUMBER, "--channel", "sms", "--at", "yesterday"], 5, "--at expects an ISO 8601"),
        ([NUMBER, "--channel", "sms", "--evidence", "sale"], 2, "--evidence expects KEY=VALUE"),
        ([NUMBER, "--channel", "sms", "--at", "2999-01-01T00:00:00Z"], 5, "in the future"),
    ],
)
def test_bad_grants(cli: Cli, args: list[str], exit_code: int, expected: str) -> None:
    result = cli("consent", "grant", *args, "--purpose", "marketing", "--method", "web_form")
    assert result.exit_code == exit_code, result.output
    if expected:
        assert expected in one_line_error(result)
    assert "Traceback" not in result.output


def test_voice_opt_out_to_an_agent_revokes_everything(cli: Cli) -> None:
    grant(cli)
    revoked = cli.json(
        "consent",
        "revoke",
        NUMBER,
        "--method",
        "voice_agent",
        "--action",
        "asked the agent to stop calling",
    )
    (record,) = revoked["records"]
    assert record["action"] == "revoke" and record["scope"] == "all"
    assert record["method"] == "voice_agent"
    shown = cli.json("consent", "show", NUMBER)
    assert {s["status"] for s in shown["consents"]} == {"revoked"}
    again = cli("consent", "revoke", NUMBER, "--method", "voice_keypress")
    assert again.exit_code == 0
    assert "Revoked every channel and purpose for +13055550123 by voice_keypress" in again.stdout

    narrow = cli("consent", "revoke", NUMBER, "--channel", "sms")
    assert narrow.exit_code == 2
    assert "--channel and --purpose go together" in one_line_error(narrow)


def test_verify_names_the_edited_record(cli: Cli) -> None:
    first = grant(cli)["records"][0]
    cli.json("consent", "revoke", NUMBER)
    report = cli.json("consent", "verify")
    assert report == {"ok": True, "records": 2, "problems": []}
    assert "ledger ok: 2 records" in cli("consent", "verify").stdout

    with Phonelist.open(cli.settings) as core, core.store.write() as session:
        session.execute(
            text("UPDATE consent_records SET affirmative_action = 'edited' WHERE id = :id"),
            {"id": first["id"]},
        )
    result = cli("consent", "verify", "--json")
    assert result.exit_code == 10
    problems = json.loads(result.stdout)["problems"]
    assert problems == [f"record {first['id']} (#1) was changed after writing"]
    human = cli("consent", "verify")
    assert human.exit_code == 10
    assert f"record {first['id']} (#1) was changed after writing" in human.stdout
    assert "ledger BROKEN" in human.stdout


def test_rebuild_restores_the_state_from_the_ledger(cli: Cli) -> None:
    grant(cli)
    assert cli.json("consent", "rebuild") == {"changed": 0}
    with Phonelist.open(cli.settings) as core, core.store.write() as session:
        session.execute(text("UPDATE consent_states SET status = 'revoked'"))
    assert cli.json("consent", "rebuild") == {"changed": 1}
    shown = cli.json("consent", "show", NUMBER)
    states = {(s["channel"], s["purpose"]): s["status"] for s in shown["consents"]}
    assert states[("sms", "marketing")] == "granted"


def test_evidence_pack(cli: Cli, tmp_path: Path) -> None:
    add_terms(cli)
    with Phonelist.open(cli.settings) as core:
        core.consent.apply(
            core.cli_actor(),
            Grant(
                NUMBER,
                "sms",
                "marketing",
                "web_form",
                disclosure="sms-terms",
                affirmative_action="ticked the unchecked box",
                ip="203.0.113.9",
                user_agent="Mozilla/5.0 (test)",
                source_url="https://acme.example/join",
            ),
        )
    cli.json("suppress", "add", NUMBER, "--reason", "asked by phone")
    pack = cli.json("consent", "evidence", NUMBER)
    assert pack["number"] == E164 and pack["format"] == "phonelist-consent-evidence/1"
    assert pack["rules_version"] and pack["keywords_version"]
    (record,) = pack["records"]
    assert record["ip"] == "203.0.113.9" and record["user_agent"] == "Mozilla/5.0 (test)"
    assert record["hash"] and record["prev_hash"]
    (disclosure,) = pack["disclosures"]
    assert disclosure["text"] == TERMS and disclosure["text_matches_hash"] is True
    assert [s["kind"] for s in pack["suppressions"]] == ["internal_dnc"]
    shown = cli.json("consent", "show", NUMBER)
    assert [(s["number"], s["reason"]) for s in shown["suppressions"]] == [(E164, "asked by phone")]
    assert "suppressed: internal_dnc" in cli("consent", "show", NUMBER).stdout
    assert pack["ledger"] == {"ok": True, "records": 1, "problems": []}
    assert pack["state_matches_records"] is True

    human = cli("consent", "evidence", NUMBER)
    assert human.exit_code == 0
    assert human.stdout.startswith(f"# Consent evidence for {E164}")
    assert "- IP address: 203.0.113.9" in human.stdout

    out = tmp_path / "proof"
    written = cli.json("consent", "evidence", NUMBER, "--out", str(out))
    json_file, md_file = (Path(p) for p in written["files"])
    assert json_file.name == "evidence-13055550123.json" and md_file.suffix == ".md"
    assert json.loads(json_file.read_text(encoding="utf-8"))["records"][0]["ip"] == "203.0.113.9"
    assert "Consent evidence" in md_file.read_text(encoding="utf-8")
    assert stat.S_IMODE(json_file.stat().st_mode) == 0o600


def test_double_opt_in_by_request_and_yes(cli: Cli) -> None:
    add_terms(cli)
    requested = cli.json("consent", "request", NUMBER, "--disclosure", "sms-terms")
    assert requested["request_id"]
    assert [r["action"] for r in requested["records"]] == ["request"]
    pending = cli.json("consent", "show", NUMBER)["consents"][0]
    assert (pending["purpose"], pending["status"]) == ("marketing", "pending")

    reply = cli.json("inbound", NUMBER, "YES")
    assert "confirmed" in reply["actions"]
    confirmed = cli.json("consent", "show", NUMBER)["consents"][0]
    assert (confirmed["status"], confirmed["method"]) == ("granted", "double_opt_in")


def test_review_queue(cli: Cli) -> None:
    grant(cli)
    reply = cli.json("inbound", NUMBER, "Don't stop!")
    assert reply["kind"] == "review" and "review_opened" in reply["actions"]
    assert "treated as an opt-out by the default policy" in reply["note"]
    (item,) = cli.json("consent", "review", "list")
    assert item["id"] == reply["review_id"] and item["status"] == "open"
    assert item["id"] in cli("consent", "review", "list").stdout

    resolved = cli.json("consent", "review", "resolve", item["id"], "--as", "not_opt_out")
    assert resolved["status"] == "resolved" and resolved["resolution"] == "not_opt_out"
    assert cli.json("consent", "review", "list") == []
    unknown = cli("consent", "review", "resolve", "01ABCDEFGHJKMNPQRSTVWXYZ00", "--as", "opt_out")
    assert unknown.exit_code == 3
