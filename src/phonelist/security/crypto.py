"""Field encryption (AES-256-GCM) and keyed blind indexes (HMAC-SHA256).

Every encrypted value is bound to where it lives: the associated data is
``table/column/row-id``, so a ciphertext copied to another row or column fails to decrypt.
A ciphertext names the data key that sealed it, which is what lets ``keys rotate`` re-encrypt
row by row, stop anywhere, and resume: rows still under an old key keep decrypting until
they are rewritten.

Blind indexes are HMAC-SHA256 under a separate index key, truncated to 128 bits, with a
domain per kind of value (phone, email, name token), so equal numbers are findable without
storing them in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from phonelist.errors import ConfigError, PhonelistError

__all__ = ["DecryptionError", "Keyring", "keyring_from_dict", "load_keyring"]

_FORMAT = 1
_NONCE = 12
_INDEX_BYTES = 16
MEMO_LIMIT = 250_000  # remembered blind indexes (about 40 MB at most)
KEYRING_FILE = "keyring.json"
SESSION_FILE = "session.key"


class DecryptionError(PhonelistError):
    """A ciphertext does not open: wrong key, moved between rows, or tampered with."""

    code = "decryption_failed"
    exit_code = 6


@dataclass
class Keyring:
    """Data keys by id (one active), plus the blind-index key."""

    data_keys: dict[str, bytes] = field(repr=False)  # key material never goes in a repr
    active: str
    index_key: bytes = field(repr=False)
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False)
    _index_macs: dict[str, hmac.HMAC] = field(default_factory=dict, repr=False)
    _memo: dict[tuple[str, str], bytes] | None = field(default=None, repr=False)
    _memo_users: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if self.active not in self.data_keys:
            raise ConfigError(f"keyring: active key {self.active!r} is missing")
        for key_id, key in self.data_keys.items():
            if len(key) != 32:
                raise ConfigError(f"keyring: data key {key_id!r} is not 256 bits")
        self._ciphers = {k: AESGCM(v) for k, v in self.data_keys.items()}
        self._index_macs = {}

    @classmethod
    def generate(cls) -> Keyring:
        return cls(
            data_keys={"k1": AESGCM.generate_key(256)},
            active="k1",
            index_key=secrets.token_bytes(32),
        )

    # -- encryption -------------------------------------------------------------------------
    def encrypt(self, plaintext: str, *, table: str, column: str, row_id: str) -> bytes:
        key_id = self.active.encode()
        nonce = os.urandom(_NONCE)
        sealed = self._ciphers[self.active].encrypt(
            nonce, plaintext.encode("utf-8"), _aad(table, column, row_id)
        )
        return bytes([_FORMAT, len(key_id)]) + key_id + nonce + sealed

    def decrypt(self, blob: bytes, *, table: str, column: str, row_id: str) -> str:
        key_id = self.key_id_of(blob)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(
                f"data was encrypted with key {key_id!r}, which this keyring does not hold"
            )
        start = 2 + len(key_id.encode())
        nonce, sealed = blob[start : start + _NONCE], blob[start + _NONCE :]
        try:
            return cipher.decrypt(nonce, sealed, _aad(table, column, row_id)).decode("utf-8")
        except InvalidTag as exc:
            raise DecryptionError(
                f"{table}.{column} of {row_id} does not decrypt: wrong key or tampered data"
            ) from exc

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        if len(blob) < 2 + _NONCE or blob[0] != _FORMAT:
            raise DecryptionError("not a phonelist ciphertext")
        return blob[2 : 2 + blob[1]].decode("ascii")

    # -- blind index ------------------------------------------------------------------------
    def blind_index(self, domain: str, value: str) -> bytes:
        memo = self._memo
        if memo is not None:
            found = memo.get((domain, value))
            if found is None:
                if len(memo) >= MEMO_LIMIT:
                    memo.clear()
                found = memo[domain, value] = self._blind_index(domain, value)
            return found
        return self._blind_index(domain, value)

    @contextmanager
    def remembering(self) -> Iterator[None]:
        """Within the block, blind indexes are remembered (bounded): a bulk job computes the
        same ones several times (a number's for de-duplication and for its row; names repeat).
        Forgotten when the last such block ends."""
        if self._memo is None:
            self._memo = {}
        self._memo_users += 1
        try:
            yield
        finally:
            self._memo_users -= 1
            if self._memo_users == 0:
                self._memo = None

    def _blind_index(self, domain: str, value: str) -> bytes:
        mac = self._index_macs.get(domain)
        if mac is None:  # keyed once per domain; copy() is much cheaper than hmac.new()
            mac = self._index_macs[domain] = hmac.new(
                self.index_key, domain.encode() + b"\x00", hashlib.sha256
            )
        copy = mac.copy()
        copy.update(value.encode("utf-8"))
        return copy.digest()[:_INDEX_BYTES]

    # -- rotation and persistence -----------------------------------------------------------
    def with_new_active_key(self) -> Keyring:
        number = 1 + max(int(k[1:]) for k in self.data_keys if k[1:].isdigit())
        new_id = f"k{number}"
        keys = {**self.data_keys, new_id: AESGCM.generate_key(256)}
        return Keyring(data_keys=keys, active=new_id, index_key=self.index_key)

    def without_keys(self, key_ids: set[str]) -> Keyring:
        keys = {k: v for k, v in self.data_keys.items() if k not in key_ids}
        return Keyring(data_keys=keys, active=self.active, index_key=self.index_key)

    def adopt(self, other: Keyring) -> None:
        """Take ``other``'s keys in place, so every service holding this keyring sees them."""
        self.data_keys = dict(other.data_keys)
        self.active = other.active
        self.index_key = other.index_key
        self._ciphers = dict(other._ciphers)
        self._index_macs = {}
        if self._memo is not None:
            self._memo = {}  # indexes under the old index key

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": _FORMAT,
                "active": self.active,
                "data_keys": {k: _b64(v) for k, v in sorted(self.data_keys.items())},
                "index_key": _b64(self.index_key),
            },
            indent=2,
        )

    def save(self, keys_dir: Path) -> None:
        """Write atomically with 0600 permissions (the directory is 0700)."""
        write_secret_file(keys_dir / KEYRING_FILE, self.to_json().encode())


def _aad(table: str, column: str, row_id: str) -> bytes:
    return f"{table}/{column}/{row_id}".encode()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def write_secret_file(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def keyring_from_dict(data: Any) -> Keyring:
    """A keyring from the parsed JSON of ``keyring.json``; errors name no key material."""
    try:
        index_key = base64.b64decode(data["index_key"], validate=True)
        if len(index_key) < 32:
            raise ConfigError("the keyring's index key is shorter than 256 bits")
        return Keyring(
            data_keys={
                str(k): base64.b64decode(v, validate=True) for k, v in data["data_keys"].items()
            },
            active=str(data["active"]),
            index_key=index_key,
        )
    except KeyError as exc:
        raise ConfigError(f"the keyring has no {exc.args[0]!r}") from None
    except (ValueError, TypeError, AttributeError):
        raise ConfigError(
            "the keyring is not in the expected layout (active, data_keys, index_key; "
            "keys in base64)"
        ) from None


def load_keyring(keys_dir: Path) -> Keyring:
    path = keys_dir / KEYRING_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(
            f"no keyring at {path}: run 'phonelist init' (or restore the keys directory)"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"keyring {path} is unreadable: not JSON") from exc
    try:
        return keyring_from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"keyring {path} is unreadable: {exc}") from None


def load_or_create_session_secret(keys_dir: Path) -> bytes:
    path = keys_dir / SESSION_FILE
    if not path.exists():
        write_secret_file(path, secrets.token_bytes(32).hex().encode())
    return path.read_bytes().strip()
