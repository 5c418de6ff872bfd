"""Where the keyring comes from: a key file, an environment variable, or an external key manager.

A :class:`KeyProvider` loads the keyring (data keys and index key) and, when it can, saves it
back: ``keys rotate`` writes through the same provider it read from. The ``file`` provider
(``<keys_dir>/keyring.json``, mode 0600) is the default and the only writable one. ``env``
reads the keyring JSON (or base64 of it) from ``PHONELIST_KEYRING``; ``command`` runs the
configured ``keys_command`` (no shell) and reads the keyring JSON from its stdout. Neither can
be written to, so rotation with them is staged through a file the operator puts in place
(:func:`rotation_keys`, docs/security.md "Keys").

No key material ever goes into an error message, a log line or a repr: errors name the
source (a path, a variable, a command's program name) and what is wrong with it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from phonelist.config import Settings
from phonelist.errors import ConfigError, PhonelistError
from phonelist.security.crypto import (
    KEYRING_FILE,
    Keyring,
    keyring_from_dict,
    load_keyring,
    load_or_create_session_secret,
    write_secret_file,
)

__all__ = [
    "CommandKeyProvider",
    "EnvKeyProvider",
    "FileKeyProvider",
    "KeyProvider",
    "ReadOnlyKeysError",
    "StagedKeys",
    "create_keyring",
    "key_provider",
    "parse_keyring",
    "rotation_keys",
    "session_secret",
]

KEYRING_ENV = "PHONELIST_KEYRING"
_SECRETISH = re.compile(r"[A-Za-z0-9+/=_-]{24,}")  # long base64/hex runs in a stderr excerpt


class ReadOnlyKeysError(PhonelistError):
    """The keyring comes from somewhere phonelist cannot write (an env variable, a key manager)."""

    code = "keys_read_only"
    exit_code = 2


class KeyProvider(Protocol):
    """Loads the keyring, and saves it back when it can (``writable``)."""

    @property
    def name(self) -> str: ...

    @property
    def writable(self) -> bool: ...

    def describe(self) -> str:
        """Where the keyring lives, for messages (never any key material)."""
        ...

    def exists(self) -> bool:
        """Whether a keyring is there to load (``init`` creates one only when not)."""
        ...

    def load(self) -> Keyring: ...

    def save(self, keyring: Keyring) -> None: ...


@dataclass(frozen=True)
class FileKeyProvider:
    """``<keys_dir>/keyring.json``, mode 0600 in a 0700 directory (the default)."""

    keys_dir: Path
    name: str = field(default="file", init=False)
    writable: bool = field(default=True, init=False)

    def describe(self) -> str:
        return str(self.keys_dir / KEYRING_FILE)

    def exists(self) -> bool:
        return (self.keys_dir / KEYRING_FILE).exists()

    def load(self) -> Keyring:
        return load_keyring(self.keys_dir)

    def save(self, keyring: Keyring) -> None:
        keyring.save(self.keys_dir)


@dataclass(frozen=True)
class EnvKeyProvider:
    """The keyring JSON, or base64 of it, in ``PHONELIST_KEYRING`` (the ``keyring`` setting)."""

    value: str | None = field(repr=False)
    name: str = field(default="env", init=False)
    writable: bool = field(default=False, init=False)

    def describe(self) -> str:
        return f"the environment variable {KEYRING_ENV}"

    def exists(self) -> bool:
        return bool(self.value and self.value.strip())

    def load(self) -> Keyring:
        if not self.exists():
            raise ConfigError(
                f"keys_provider is 'env' but {KEYRING_ENV} is not set: create a keyring with "
                f"'phonelist keys generate' and put it in {KEYRING_ENV}"
            )
        assert self.value is not None
        return parse_keyring(self.value, self.describe())

    def save(self, keyring: Keyring) -> None:
        raise _read_only(self)


@dataclass(frozen=True)
class CommandKeyProvider:
    """An external key manager: ``keys_command`` prints the keyring JSON on stdout.

    Run without a shell (the command line is split with :func:`shlex.split`), with stdin
    closed and a timeout. Its environment is phonelist's, so a token for the key manager
    (``VAULT_TOKEN``, ...) is passed the usual way rather than on the command line.
    """

    command: str
    timeout: float = 10.0
    name: str = field(default="command", init=False)
    writable: bool = field(default=False, init=False)

    def describe(self) -> str:
        return f"the key manager command {self._program()!r} (keys_command)"

    def exists(self) -> bool:
        return bool(self.command.strip())

    def load(self) -> Keyring:
        argv = self._argv()
        try:
            done = subprocess.run(  # noqa: S603 - argv from the operator's own setting, no shell
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ConfigError(
                f"keys_command {self._program()!r} gave no keyring within {self.timeout:g} s "
                "(setting keys_command_timeout)"
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"keys_command: cannot run {self._program()!r}: {exc.strerror or exc}"
            ) from None
        if done.returncode != 0:
            raise ConfigError(
                f"keys_command {self._program()!r} failed with exit status {done.returncode}"
                + _stderr_excerpt(done.stderr)
            )
        try:
            text = done.stdout.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(
                f"keys_command {self._program()!r} printed something that is not a keyring "
                "(not UTF-8 text)"
            ) from None
        return parse_keyring(text, self.describe())

    def save(self, keyring: Keyring) -> None:
        raise _read_only(self)

    def _argv(self) -> list[str]:
        try:
            argv = shlex.split(self.command)
        except ValueError as exc:
            raise ConfigError(f"keys_command cannot be parsed: {exc}") from None
        if not argv:
            raise ConfigError("keys_provider is 'command' but keys_command is empty")
        return argv

    def _program(self) -> str:
        try:
            argv = shlex.split(self.command)
        except ValueError:
            return "?"
        return Path(argv[0]).name if argv else ""


@dataclass(frozen=True)
class StagedKeys:
    """Rotation for a read-only provider: read from ``source``, write the new keyring to ``out``.

    The operator then puts the file's contents where ``source`` reads from (the variable, the
    key manager) and deletes the file.
    """

    source: KeyProvider
    out: Path
    writable: bool = field(default=True, init=False)

    @property
    def name(self) -> str:
        return self.source.name

    def describe(self) -> str:
        return str(self.out)

    def exists(self) -> bool:
        return self.source.exists()

    def load(self) -> Keyring:
        return self.source.load()

    def save(self, keyring: Keyring) -> None:
        write_secret_file(self.out, keyring.to_json().encode())


def parse_keyring(text: str, source: str) -> Keyring:
    """A keyring from its JSON (as ``keyring.json`` holds it) or base64 of that JSON."""
    text = text.strip()
    if not text.startswith("{"):
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8").strip()
        except (binascii.Error, ValueError):
            raise ConfigError(
                f"the keyring from {source} is unreadable: expected the keyring JSON "
                "or base64 of it"
            ) from None
    try:
        data = json.loads(text)
    except ValueError:
        raise ConfigError(
            f"the keyring from {source} is unreadable: expected the keyring JSON or base64 of it"
        ) from None
    try:
        return keyring_from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"the keyring from {source} is unusable: {exc}") from None


def key_provider(settings: Settings) -> KeyProvider:
    """The keyring's provider named by the ``keys_provider`` setting."""
    if settings.keys_provider == "env":
        secret = settings.keyring
        return EnvKeyProvider(secret.get_secret_value() if secret is not None else None)
    if settings.keys_provider == "command":
        if not settings.keys_command or not settings.keys_command.strip():
            raise ConfigError("keys_provider is 'command' but keys_command is not set")
        return CommandKeyProvider(settings.keys_command, settings.keys_command_timeout)
    return FileKeyProvider(settings.resolved_keys_dir)


def create_keyring(provider: KeyProvider) -> Keyring:
    """A new keyring saved through ``provider`` (``init``); a read-only one says what to do."""
    if not provider.writable:
        raise ConfigError(
            f"there is no keyring in {provider.describe()}: create one with "
            "'phonelist keys generate' and put it there"
        )
    keyring = Keyring.generate()
    provider.save(keyring)
    return keyring


def rotation_keys(provider: KeyProvider, to: Path | None) -> KeyProvider:
    """What ``keys rotate`` reads and writes: the provider itself, or a staging file."""
    if provider.writable:
        if to is not None:
            raise ConfigError(
                f"--to is for read-only keyrings; this one ({provider.describe()}) is "
                "rotated in place"
            )
        return provider
    if to is None:
        raise _read_only(provider)
    return StagedKeys(provider, to)


def session_secret(settings: Settings) -> bytes:
    """The key that signs web sessions: ``PHONELIST_SESSION_SECRET``, else ``session.key``.

    Not part of the keyring: losing it only signs everyone out, so the file is created on
    first use whatever the keys provider.
    """
    if settings.session_secret is not None:
        value = settings.session_secret.get_secret_value().strip()
        if len(value) < 32:
            raise ConfigError("session_secret must be at least 32 characters")
        return value.encode()
    return load_or_create_session_secret(settings.resolved_keys_dir)


def _read_only(provider: KeyProvider) -> ReadOnlyKeysError:
    return ReadOnlyKeysError(
        f"the keyring comes from {provider.describe()}, which phonelist cannot write. "
        "Rotate in two steps: 'phonelist keys rotate --to FILE' writes the next keyring "
        "(a new active key added) to FILE; put its contents in place of the current keyring "
        "and restart; then run 'phonelist keys rotate --to FILE' again: it re-encrypts every "
        "value and writes the final keyring (old keys retired) to FILE, to put in place the "
        "same way. Delete FILE afterwards."
    )


def _stderr_excerpt(raw: bytes) -> str:
    """The first line of a failed command's stderr, short, with key-like strings hidden."""
    line = raw.decode("utf-8", "replace").strip().splitlines()[:1]
    if not line:
        return ""
    text = _SECRETISH.sub("[redacted]", line[0])[:200]
    return f": {text}"
