"""Field encryption is bound to its row, detects tampering, and keys stay private."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phonelist.errors import ConfigError
from phonelist.security.crypto import DecryptionError, Keyring, load_keyring

KEYRING = Keyring.generate()


@given(st.text(max_size=500))
def test_round_trip_any_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates never reach the store: the schemas refuse them
    blob = KEYRING.encrypt(text, table="t", column="c", row_id="r1")
    assert KEYRING.decrypt(blob, table="t", column="c", row_id="r1") == text


def test_ciphertext_is_bound_to_its_row_and_column() -> None:
    blob = KEYRING.encrypt("+351912345678", table="phone_numbers", column="e164", row_id="A")
    for where in (
        {"table": "phone_numbers", "column": "e164", "row_id": "B"},
        {"table": "phone_numbers", "column": "label", "row_id": "A"},
        {"table": "emails", "column": "e164", "row_id": "A"},
    ):
        with pytest.raises(DecryptionError):
            KEYRING.decrypt(blob, **where)


def test_tampering_is_detected() -> None:
    blob = bytearray(KEYRING.encrypt("Ana", table="t", column="c", row_id="r"))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError):
        KEYRING.decrypt(bytes(blob), table="t", column="c", row_id="r")


def test_same_value_encrypts_differently_each_time() -> None:
    one = KEYRING.encrypt("Ana", table="t", column="c", row_id="r")
    two = KEYRING.encrypt("Ana", table="t", column="c", row_id="r")
    assert one != two


def test_wrong_keyring_fails_clearly() -> None:
    blob = KEYRING.encrypt("Ana", table="t", column="c", row_id="r")
    with pytest.raises(DecryptionError, match="wrong key or tampered"):
        Keyring.generate().decrypt(blob, table="t", column="c", row_id="r")


def test_blind_index_is_keyed_deterministic_and_domain_separated() -> None:
    assert KEYRING.blind_index("phone", "+1") == KEYRING.blind_index("phone", "+1")
    assert KEYRING.blind_index("phone", "+1") != KEYRING.blind_index("email", "+1")
    assert KEYRING.blind_index("phone", "+1") != Keyring.generate().blind_index("phone", "+1")
    assert len(KEYRING.blind_index("phone", "+1")) == 16


def test_key_files_are_private(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    KEYRING.save(keys)
    assert stat.S_IMODE((keys / "keyring.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    loaded = load_keyring(keys)
    blob = KEYRING.encrypt("x", table="t", column="c", row_id="r")
    assert loaded.decrypt(blob, table="t", column="c", row_id="r") == "x"


def test_missing_or_broken_keyring_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="phonelist init"):
        load_keyring(tmp_path)
    (tmp_path / "keyring.json").write_text("{not json")
    with pytest.raises(ConfigError, match="unreadable"):
        load_keyring(tmp_path)
