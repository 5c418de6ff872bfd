"""phonelist init: idempotent, private key files, and never new keys for old data."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from phonelist import ConfigError, Phonelist, Settings, load_settings
from phonelist.bootstrap import initialize, is_initialized
from phonelist.contacts import ContactIn, CreateContact
from tests.conftest import OWNER_PASSWORD


def test_init_is_idempotent_and_private(settings: Settings) -> None:
    first = initialize(settings)
    assert first.created_keys and first.created_owner == "owner"
    assert first.generated_password and len(first.generated_password) >= 16
    again = initialize(settings)
    assert not again.created_keys and again.created_owner is None
    assert again.generated_password is None
    keys = settings.resolved_keys_dir
    for name in ("keyring.json", "session.key"):
        assert stat.S_IMODE((keys / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert is_initialized(settings)


def test_owner_can_sign_in_with_the_generated_password(settings: Settings) -> None:
    result = initialize(settings, owner_username="boss")
    assert result.generated_password
    with Phonelist.open(settings) as core:
        actor = core.users.sign_in(1, "boss", result.generated_password)
        assert actor.role.value == "owner"


def test_lost_keys_are_not_silently_replaced(settings: Settings) -> None:
    initialize(settings, owner_password=OWNER_PASSWORD)
    with Phonelist.open(settings) as core:
        core.contacts.apply(core.cli_actor(), CreateContact(ContactIn(first_name="Kept")))
    shutil.rmtree(settings.resolved_keys_dir)
    with pytest.raises(ConfigError, match="restore the keys directory"):
        initialize(settings)
    with pytest.raises(ConfigError, match="phonelist init"):
        Phonelist.open(settings)


def test_config_file_in_the_given_data_dir_is_read(tmp_path: Path) -> None:
    (tmp_path / "phonelist.toml").write_text('default_region = "PT"\nport = 8123\n')
    settings = load_settings(data_dir=tmp_path)
    assert settings.default_region == "PT" and settings.port == 8123
    (tmp_path / "phonelist.toml").write_text("no_such_setting = 1\n")
    with pytest.raises(ConfigError, match="no_such_setting"):
        load_settings(data_dir=tmp_path)
