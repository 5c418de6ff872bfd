"""Key providers: a key file, PHONELIST_KEYRING, or a key manager command give the same keyring.

The "key manager" is a small Python script. Every failure is a ConfigError that names the
source and never holds key material; nor do reprs or log lines.
"""

from __future__ import annotations

import base64
import logging
import shlex
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from phonelist import Phonelist, Settings, load_settings
from phonelist.audit.service import AuditFilter
from phonelist.bootstrap import initialize, is_initialized
from phonelist.contacts import ContactIn, CreateContact
from phonelist.errors import ConfigError
from phonelist.security.crypto import Keyring, load_keyring
from phonelist.security.keystore import (
    CommandKeyProvider,
    EnvKeyProvider,
    FileKeyProvider,
    KeyProvider,
    ReadOnlyKeysError,
    key_provider,
    parse_keyring,
    session_secret,
)
from phonelist.security.permissions import Actor
from phonelist.security.rotation import SEALED_COLUMNS
from phonelist.store.models import Contact
from tests.conftest import OWNER_PASSWORD

IDX = base64.b64encode(bytes(32)).decode()
KEY_MANAGER = """\
import sys, time
mode, path = sys.argv[1], sys.argv[2]
keyring = open(path).read()
if mode == "ok":
    sys.stdout.write(keyring)
elif mode == "fail":
    sys.stdout.write(keyring)
    sys.stderr.write("permission denied for " + keyring.replace(chr(10), " ") + chr(10))
    sys.exit(3)
elif mode == "slow":
    time.sleep(30)
elif mode == "garbage":
    sys.stdout.write("<html>500 Internal Server Error</html>" + keyring[:40])
elif mode == "binary":
    sys.stdout.buffer.write(bytes([0xff, 0xfe, 0x00]))
"""


def material(keyring: Keyring) -> list[str]:
    """Every form a key could leak in: base64 (as stored), hex, and the raw bytes' repr."""
    found = []
    for key in [*keyring.data_keys.values(), keyring.index_key]:
        found += [base64.b64encode(key).decode(), key.hex(), repr(key)[2:-1]]
    return found


def assert_no_material(text: str, keyring: Keyring) -> None:
    for secret in material(keyring):
        assert secret not in text


def command_provider(tmp_path: Path, keyring: Keyring, mode: str, timeout: float = 10) -> str:
    script = tmp_path / "key_manager.py"
    script.write_text(KEY_MANAGER)
    source = tmp_path / "held_by_manager.json"
    source.write_text(keyring.to_json())
    return shlex.join([sys.executable, str(script), mode, str(source)])


def same(a: Keyring, b: Keyring) -> bool:
    return (a.data_keys, a.active, a.index_key) == (b.data_keys, b.active, b.index_key)


def test_every_provider_loads_the_same_keyring(tmp_path: Path) -> None:
    keyring = Keyring.generate().with_new_active_key()
    keyring.save(tmp_path / "keys")
    text = keyring.to_json()
    providers: list[KeyProvider] = [
        FileKeyProvider(tmp_path / "keys"),
        EnvKeyProvider(text),
        EnvKeyProvider(base64.b64encode(text.encode()).decode()),
        EnvKeyProvider(f"\n  {text}  \n"),
        CommandKeyProvider(command_provider(tmp_path, keyring, "ok")),
    ]
    for provider in providers:
        assert provider.exists()
        assert same(provider.load(), keyring), provider.name
    assert [p.writable for p in providers] == [True, False, False, False, False]


def test_settings_choose_the_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keyring = Keyring.generate()
    monkeypatch.setenv("PHONELIST_KEYS_PROVIDER", "env")
    monkeypatch.setenv("PHONELIST_KEYRING", keyring.to_json())
    settings = load_settings(data_dir=tmp_path)
    provider = key_provider(settings)
    assert isinstance(provider, EnvKeyProvider) and same(provider.load(), keyring)

    monkeypatch.setenv("PHONELIST_KEYS_PROVIDER", "command")
    monkeypatch.setenv("PHONELIST_KEYS_COMMAND", command_provider(tmp_path, keyring, "ok"))
    monkeypatch.setenv("PHONELIST_KEYS_COMMAND_TIMEOUT", "5")
    provider = key_provider(load_settings(data_dir=tmp_path))
    assert isinstance(provider, CommandKeyProvider) and provider.timeout == 5
    assert same(provider.load(), keyring)

    monkeypatch.delenv("PHONELIST_KEYS_COMMAND")
    with pytest.raises(ConfigError, match="keys_command is not set"):
        key_provider(load_settings(data_dir=tmp_path))
    monkeypatch.setenv("PHONELIST_KEYS_PROVIDER", "vault")
    with pytest.raises(ConfigError, match="keys_provider"):
        load_settings(data_dir=tmp_path)
    monkeypatch.delenv("PHONELIST_KEYS_PROVIDER")
    assert isinstance(key_provider(load_settings(data_dir=tmp_path)), FileKeyProvider)


def test_a_store_opens_and_reads_with_each_provider(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    made = core.contacts.apply(
        actor,
        CreateContact(ContactIn.model_validate({"first_name": "Ana", "phones": ["+351912345678"]})),
    )
    assert made is not None
    text = load_keyring(core.settings.resolved_keys_dir).to_json()
    keyring = core.keyring
    variants = [
        {"keys_provider": "env", "keyring": SecretStr(text)},
        {"keys_provider": "command", "keys_command": command_provider(tmp_path, keyring, "ok")},
    ]
    for update in variants:
        settings = core.settings.model_copy(update=update)
        with Phonelist.open(settings) as other:
            assert other.contacts.get(actor, made.id) == made
            assert [c.id for c in other.contacts.search(actor, "+351912345678").items] == [made.id]


def test_env_keyring_refuses_plain_rotation_with_what_to_do(core: Phonelist) -> None:
    settings = core.settings.model_copy(
        update={"keys_provider": "env", "keyring": SecretStr(core.keyring.to_json())}
    )
    with Phonelist.open(settings) as other, pytest.raises(ReadOnlyKeysError) as caught:
        other.rotation()
    message = str(caught.value)
    assert "PHONELIST_KEYRING" in message and "cannot write" in message
    assert "phonelist keys rotate --to FILE" in message
    assert_no_material(message, core.keyring)
    with pytest.raises(ConfigError, match="rotated in place"):
        core.rotation(to=Path("elsewhere.json"))  # the file keyring needs no staging


def test_env_keyring_rotates_in_two_staged_runs(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    before = [
        core.contacts.apply(
            actor,
            CreateContact(
                ContactIn.model_validate({"first_name": f"P{n}", "phones": [f"+1415555010{n}"]})
            ),
        )
        for n in range(3)
    ]
    staging = tmp_path / "next-keyring.json"

    def env_core(keyring_text: str) -> Phonelist:
        update = {"keys_provider": "env", "keyring": SecretStr(keyring_text)}
        return Phonelist.open(core.settings.model_copy(update=update))

    with env_core(core.keyring.to_json()) as first:
        staged = first.rotation(to=staging).run(actor)
        assert staged.staged and staged.active_key == "k2" and staged.rewritten == 0
        assert staging.stat().st_mode & 0o777 == 0o600
        assert key_ids(first) == {"k1"}  # nothing re-encrypted before the keyring is in place
    next_text = staging.read_text()
    assert set(parse_keyring(next_text, "test").data_keys) == {"k1", "k2"}

    with env_core(next_text) as second:  # the operator put the staged keyring in place
        report = second.rotation(to=staging).run(actor)
        assert not report.staged and report.retired_keys == ["k1"] and report.rewritten > 0
        assert key_ids(second) == {"k2"}
    final = parse_keyring(staging.read_text(), "test")
    assert set(final.data_keys) == {"k2"}
    with env_core(staging.read_text()) as third:
        assert [third.contacts.get(actor, c.id) for c in before if c is not None] == before
        events = third.audit.events(actor, AuditFilter(action="keys.rotate_start")).items
        assert [e.detail for e in events] == [{"provider": "env", "staged": True}]
        assert third.audit.events(actor, AuditFilter(action="keys.rotate_finish")).items
        assert third.audit.verify(actor).ok
    # The file keyring was never touched by an env rotation.
    assert set(load_keyring(core.settings.resolved_keys_dir).data_keys) == {"k1"}


def key_ids(core: Phonelist) -> set[str]:
    found: set[str] = set()
    with core.store.read() as session:
        for model, columns, _, _ in SEALED_COLUMNS:
            if model is not Contact:
                continue
            for row in session.scalars(select(model)):
                for attribute, *_ in columns:
                    blob = getattr(row, attribute)
                    if blob is not None:
                        found.add(Keyring.key_id_of(blob))
    return found


@pytest.mark.parametrize(
    ("mode", "timeout", "expected"),
    [
        ("fail", 10, "failed with exit status 3: permission denied for"),
        ("slow", 0.3, "gave no keyring within 0.3 s"),
        ("garbage", 10, "unreadable: expected the keyring JSON or base64"),
        ("binary", 10, "not UTF-8"),
    ],
)
def test_key_manager_failures_are_clear_and_hold_no_key(
    tmp_path: Path, mode: str, timeout: float, expected: str
) -> None:
    keyring = Keyring.generate()
    provider = CommandKeyProvider(command_provider(tmp_path, keyring, mode), timeout=timeout)
    with pytest.raises(ConfigError) as caught:
        provider.load()
    message = str(caught.value)
    assert expected in message
    assert_no_material(message, keyring)
    assert caught.value.__cause__ is None  # no chained exception carrying the output


def test_key_manager_that_cannot_run(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot run 'no-such-key-manager'"):
        CommandKeyProvider(str(tmp_path / "no-such-key-manager") + " get").load()
    with pytest.raises(ConfigError, match="cannot be parsed"):
        CommandKeyProvider('vault "unclosed').load()
    with pytest.raises(ConfigError, match="empty"):
        CommandKeyProvider("   ").load()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "expected the keyring JSON"),
        ("not base64 at all!", "expected the keyring JSON"),
        (base64.b64encode(b"[1, 2]").decode(), "not in the expected layout"),
        ('{"active": "k1", "data_keys": {}}', "has no 'index_key'"),
        ('{"active": "k1", "data_keys": {}, "index_key": ""}', "index key is shorter"),
        (f'{{"active": "k9", "data_keys": {{}}, "index_key": "{IDX}"}}', "active key 'k9' is"),
        (
            f'{{"active": "k1", "data_keys": {{"k1": "c2hvcnQ="}}, "index_key": "{IDX}"}}',
            "256 bits",
        ),
    ],
)
def test_an_unusable_keyring_is_a_config_error(text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        parse_keyring(text, "the environment variable PHONELIST_KEYRING")


def test_env_provider_without_a_keyring_says_how_to_make_one() -> None:
    provider = EnvKeyProvider(None)
    assert not provider.exists()
    with pytest.raises(ConfigError, match="phonelist keys generate"):
        provider.load()


def test_key_material_is_in_no_repr_and_no_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, core: Phonelist
) -> None:
    keyring = core.keyring
    text = keyring.to_json()
    backup_key = "ab" * 32
    settings = core.settings.model_copy(
        update={
            "keys_provider": "env",
            "keyring": SecretStr(text),
            "backup_key": SecretStr(backup_key),
            "session_secret": SecretStr("s" * 40),
        }
    )
    caplog.set_level(logging.DEBUG)
    with Phonelist.open(settings) as other:
        shown = " ".join(
            [
                repr(keyring),
                str(keyring),
                repr(settings),
                str(settings.model_dump()),
                repr(key_provider(settings)),
                repr(EnvKeyProvider(text)),
                repr(other.backups),
            ]
        )
    assert_no_material(shown + caplog.text, keyring)
    assert backup_key not in shown + caplog.text and "s" * 40 not in shown
    assert "k1" in repr(keyring)  # key ids are not secret, and make the repr useful


def test_session_secret_from_the_environment_or_the_file(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, session_secret="x" * 32)
    assert session_secret(settings) == b"x" * 32
    assert not (tmp_path / "keys").exists()
    with pytest.raises(ConfigError, match="at least 32"):
        session_secret(load_settings(data_dir=tmp_path, session_secret="short"))
    from_file = session_secret(load_settings(data_dir=tmp_path))
    assert from_file == (tmp_path / "keys" / "session.key").read_bytes().strip()
    assert (tmp_path / "keys" / "session.key").stat().st_mode & 0o777 == 0o600


def test_init_uses_an_env_keyring_and_writes_no_keyring_file(tmp_path: Path) -> None:
    settings: Settings = load_settings(data_dir=tmp_path / "data")
    env = settings.model_copy(update={"keys_provider": "env", "keyring": None})
    assert not is_initialized(env)
    with pytest.raises(ConfigError, match="phonelist keys generate"):
        initialize(env)
    keyring = Keyring.generate()
    env = env.model_copy(update={"keyring": SecretStr(keyring.to_json())})
    result = initialize(env, owner_password=OWNER_PASSWORD)
    assert not result.created_keys and result.created_backup_key
    assert not (tmp_path / "data" / "keys" / "keyring.json").exists()
    assert is_initialized(env)
    with Phonelist.open(env) as opened:
        assert same(opened.keyring, keyring)
