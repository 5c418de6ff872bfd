"""phonelist statuses list|set."""

from __future__ import annotations

from tests.cli.helpers import Cli, one_line_error


def test_statuses_list_and_set(cli: Cli) -> None:
    assert cli.json("statuses", "list") == {"statuses": ["lead", "customer", "member", "inactive"]}
    assert cli.json("statuses", "set", "prospect", "customer") == {
        "statuses": ["prospect", "customer"]
    }
    assert cli.add("--name", "New")["status"] == "prospect"
    cli.add("--name", "Buyer", "--status", "customer")
    refused = cli("statuses", "set", "prospect")
    assert refused.exit_code == 4
    assert "customer (1 contacts)" in one_line_error(refused)
    assert cli("statuses", "set", "Not Valid").exit_code == 5
