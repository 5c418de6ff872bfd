"""``phonelist numbers check``: readable cards, JSON, exit codes, and the optional live check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from phonelist import Settings
from phonelist.bootstrap import initialize
from phonelist.cli.main import app
from phonelist.lookup import LookupSettings
from tests.conftest import OWNER_PASSWORD
from tests.lookup.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, line, serve


def run(data_dir: Path, *args: str, database_url: str | None = None) -> Result:
    env = {
        "PHONELIST_DATA_DIR": str(data_dir),
        "PHONELIST_DATABASE_URL": database_url,
        "PHONELIST_CONFIG": None,
        "PHONELIST_KEYS_DIR": None,
        "PHONELIST_DEFAULT_REGION": None,
    }
    return CliRunner().invoke(app, ["numbers", "check", *args], env=env)


def test_valid_numbers_print_a_card_and_exit_0(tmp_path: Path) -> None:
    result = run(tmp_path, "+351 912 345 678", "3.51912345678E+11")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count("+351912345678") == 2
    for expected in ("mobile", "PT (+351)", "Vodafone", "Europe/Lisbon", "912 345 678"):
        assert expected in out
    assert "repaired" in out and "float, lost plus" in out
    assert not (tmp_path / "phonelist.db").exists()  # nothing stored, no init needed


def test_any_invalid_number_exits_5_after_showing_all(tmp_path: Path) -> None:
    result = run(tmp_path, "(202) 555-0143", "12", "hello")
    assert result.exit_code == 5
    assert "+12025550143" in result.stdout
    assert "it is too short" in result.stdout
    assert "does not look like a phone number" in result.stdout
    assert "2 of 3 numbers are not usable" in result.stderr


def test_possible_numbers_are_usable(tmp_path: Path) -> None:
    result = run(tmp_path, "+1 493 012 3456")
    assert result.exit_code == 0
    assert "possible" in result.stdout


def test_json_and_region(tmp_path: Path) -> None:
    result = run(tmp_path, "912 345 678", "0912", "--region", "pt", "--json")
    assert result.exit_code == 5
    data = json.loads(result.stdout)
    first, second = data["numbers"]
    assert first["e164"] == "+351912345678" and first["national"] == "912 345 678"
    assert first["time_zones"] == ["Atlantic/Azores", "Europe/Lisbon"]
    assert first["live"] is None
    assert (second["validity"], second["reason"]) == ("invalid", "too_short")
    assert data["backend"]


def test_bad_region_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path, "912", "--region", "PRT")
    assert result.exit_code == 5
    assert "--region must be a two-letter code" in result.stderr


def test_live_needs_configuration(tmp_path: Path) -> None:
    result = run(tmp_path, "+14155550100", "--live")
    assert result.exit_code == 6
    assert "not configured" in result.stderr
    result = run(tmp_path, "+14155550100", "--reassigned-since", "2025-01-01")
    assert result.exit_code == 5 and "needs --live" in result.stderr


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with serve() as running:
        running.lines = {"+14155550100": line("mobile", "Verizon Wireless", "active", "no")}
        yield running


def test_live_check_uses_the_provider_then_the_cache(
    settings: Settings, fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    initialize(settings, owner_password=OWNER_PASSWORD)
    configured = LookupSettings(
        provider="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_lookup_base_url=fake.base_url,
    )
    monkeypatch.setattr(LookupSettings, "from_settings", classmethod(lambda cls, s: configured))
    args = ("+1 415 555 0100", "--live", "--reassigned-since", "2025-01-01")
    first = run(settings.data_dir, *args, database_url=settings.database_url)
    assert first.exit_code == 0, first.output
    assert "line active" in first.stdout and "(twilio, live)" in first.stdout
    second = run(settings.data_dir, *args, "--json", database_url=settings.database_url)
    live = json.loads(second.stdout)["numbers"][0]["live"]
    assert (live["line_type"], live["active"], live["reassigned"]) == ("mobile", True, False)
    assert live["from_cache"] is True and live["reassigned_since"] == "2025-01-01"
    assert len(fake.requests) == 1
