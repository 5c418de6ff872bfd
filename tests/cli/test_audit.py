"""``phonelist audit show|verify`` through the CLI."""

from __future__ import annotations

from sqlalchemy import select, update

from phonelist import Phonelist
from phonelist.cli.consent_ledger import LEDGER_BROKEN_EXIT
from phonelist.store.models import AuditEvent
from tests.cli.helpers import Cli, one_line_error


def test_show_lists_the_newest_events_first(cli: Cli) -> None:
    cli.json("tokens", "create", "--role", "viewer", "--name", "ro")
    events = cli.json("audit", "show")

    assert events[0]["action"] == "token.create"
    assert events[0]["subject_type"] == "token"
    assert events[0]["actor"].startswith("cli:")
    assert events[0]["seq"] > events[-1]["seq"]
    assert {"id", "seq", "at", "detail", "hash"} <= events[0].keys()
    table = cli("audit", "show").stdout
    assert "token.create" in table and "user.create" in table


def test_show_filters(cli: Cli) -> None:
    created = cli.json("tokens", "create", "--role", "viewer", "--name", "ro")
    token_id = created["token"]["id"]
    cli.json("tokens", "revoke", token_id)

    assert [e["action"] for e in cli.json("audit", "show", "--action", "token.revoke")] == [
        "token.revoke"
    ]
    family = cli.json("audit", "show", "--action", "token.")
    assert [e["action"] for e in family] == ["token.revoke", "token.create"]
    by_subject = cli.json("audit", "show", "--subject", f"token:{token_id}")
    assert {e["subject_id"] for e in by_subject} == {token_id}
    assert len(cli.json("audit", "show", "--subject", "token", "--limit", "1")) == 1
    assert cli.json("audit", "show", "--since", "2999-01-01") == []
    assert len(cli.json("audit", "show", "--since", "2000-01-01T00:00:00Z")) >= 2
    assert cli.json("audit", "show", "--actor", "user:nobody") == []


def test_show_rejects_a_bad_date_and_limit(cli: Cli) -> None:
    result = cli("audit", "show", "--since", "yesterday")
    assert result.exit_code == 5
    assert "--since" in one_line_error(result)
    assert cli("audit", "show", "--limit", "0").exit_code == 5


def test_verify_passes_then_names_an_edited_event(cli: Cli) -> None:
    cli.json("tokens", "create", "--role", "viewer", "--name", "ro")
    report = cli.json("audit", "verify")
    assert report["ok"] is True and report["problems"] == []
    assert "chain intact" in cli("audit", "verify").stdout

    with Phonelist.open(cli.settings) as core:
        with core.store.read() as session:
            event_id = session.scalar(select(AuditEvent.id).where(AuditEvent.seq == 1))
        with core.store.engine.begin() as conn:
            conn.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(actor="x:y"))

    broken = cli("audit", "verify", "--json")
    assert broken.exit_code == LEDGER_BROKEN_EXIT
    assert '"kind": "edited"' in broken.stdout
    human = cli("audit", "verify")
    assert human.exit_code == LEDGER_BROKEN_EXIT
    assert f"event {event_id} (#1) was changed" in human.stdout
    assert "BROKEN" in human.stdout
