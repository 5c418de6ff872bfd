"""The backup file format: a header, then AES-256-GCM chunks of a zlib-compressed JSON-lines stream.

    b"PLBAK" 0x01            magic and format version (6 bytes)
    u32 length, header       canonical JSON: backup id, created_at, key id, schema revision...
    chunks                   u32 length, 12-byte random nonce, ciphertext+tag; as many as needed

Every chunk's associated data is the SHA-256 of the magic and header, the chunk's index and
whether it is the last one, so a changed header, a flipped byte, reordered chunks or a file cut
short all fail authentication. The decrypted chunks, concatenated, are one zlib stream of JSON
lines: ``{"t": table, "c": [columns]}`` starts a table, ``{"r": [values]}`` is a row of it, and
the last line is ``{"m": manifest}`` (per-table row counts and the SHA-256 of every line
before it).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import struct
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from phonelist.errors import BackupError
from phonelist.security.crypto import write_secret_file

__all__ = [
    "BACKUP_KEY_FILE",
    "BackupKey",
    "BackupReader",
    "BackupWriter",
    "create_backup_key",
    "decode_value",
    "encode_value",
    "load_backup_key",
    "load_or_create_backup_key",
]

MAGIC = b"PLBAK\x01"
FORMAT = "phonelist-backup/1"
BACKUP_KEY_FILE = "backup.key"
BACKUP_KEY_ENV = "PHONELIST_BACKUP_KEY"
CHUNK = 1 << 20  # compressed bytes per encrypted chunk
_NONCE = 12
_TAG = 16
_MAX_HEADER = 64 * 1024
_LEN = struct.Struct(">I")


class BackupKey:
    """The dedicated backup key (32 bytes), named by an id derived from it.

    ``source`` says where it came from (a file path, or ``PHONELIST_BACKUP_KEY``), for
    messages; the key itself is never shown.
    """

    def __init__(self, key: bytes, source: str) -> None:
        if len(key) != 32:
            raise BackupError(f"backup key {source} is not a 256-bit key")
        self.cipher = AESGCM(key)
        self.source = source
        self.key_id = hashlib.sha256(b"phonelist-backup-key-id:" + key).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"BackupKey(key_id={self.key_id!r}, source={self.source!r})"


def load_backup_key(keys_dir: Path, *, secret: str | None = None) -> BackupKey:
    """The backup key: ``secret`` (the ``backup_key`` setting) if given, else the key file."""
    if secret is not None:
        return _parse_backup_key(secret, BACKUP_KEY_ENV)
    path = keys_dir / BACKUP_KEY_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise BackupError(
            f"no backup key at {path}: copy the backup.key kept with your backups there "
            f"(or set {BACKUP_KEY_ENV})"
        ) from None
    except OSError as exc:
        raise BackupError(f"cannot read the backup key {path}: {exc.strerror}") from None
    return _parse_backup_key(text, str(path))


def _parse_backup_key(text: str, source: str) -> BackupKey:
    try:
        return BackupKey(bytes.fromhex(text.strip()), source)
    except ValueError:
        raise BackupError(f"backup key {source} is unreadable (expected 64 hex digits)") from None


def create_backup_key(keys_dir: Path) -> bool:
    """Write a new ``backup.key`` (mode 0600) unless one exists; True when it wrote one."""
    path = keys_dir / BACKUP_KEY_FILE
    if path.exists():
        return False
    write_secret_file(path, os.urandom(32).hex().encode())
    return True


def load_or_create_backup_key(keys_dir: Path, *, secret: str | None = None) -> BackupKey:
    if secret is None:
        create_backup_key(keys_dir)
    return load_backup_key(keys_dir, secret=secret)


# -- values ---------------------------------------------------------------------------------
def encode_value(value: Any, *, is_json: bool) -> Any:
    """A column value as JSON: JSON columns wrapped in {"j"}, other non-JSON types tagged."""
    if value is None:
        return None
    if is_json:
        return {"j": value}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if isinstance(value, bool | int | float | str):
        return value
    raise BackupError(f"cannot back up a value of type {type(value).__name__}")


def decode_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    ((tag, inner),) = value.items()
    if tag == "j":
        return inner
    if tag == "b":
        return base64.b64decode(inner)
    if tag == "dt":
        return dt.datetime.fromisoformat(inner)
    if tag == "d":
        return dt.date.fromisoformat(inner)
    if tag == "n":
        return Decimal(inner)
    raise BackupError(f"unknown value tag {tag!r} in the backup")


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _aad(header_digest: bytes, index: int, last: bool) -> bytes:
    return header_digest + struct.pack(">QB", index, int(last))


# -- writing --------------------------------------------------------------------------------
class BackupWriter:
    """Writes one backup file: header, then each record, then the manifest on :meth:`finish`."""

    def __init__(self, out: IO[bytes], header: dict[str, Any], key: BackupKey) -> None:
        raw = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
        self._out = out
        self._key = key
        self._digest = hashlib.sha256(MAGIC + raw).digest()
        self._compress = zlib.compressobj(6)
        self._pending = bytearray()
        self._index = 0
        self._lines = hashlib.sha256()
        self.counts: dict[str, int] = {}
        self._table = ""
        out.write(MAGIC + _LEN.pack(len(raw)) + raw)

    def table(self, name: str, columns: list[str]) -> None:
        self._table = name
        self.counts[name] = 0
        self._record({"t": name, "c": columns})

    def row(self, values: list[Any]) -> None:
        self.counts[self._table] += 1
        self._record({"r": values})

    def finish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Write the manifest (counts, checksum and ``manifest``) and the last chunk."""
        full = {**manifest, "counts": self.counts, "sha256": self._lines.hexdigest()}
        self._pending += self._compress.compress(_line({"m": full}))
        self._pending += self._compress.flush()
        while len(self._pending) > CHUNK:
            self._seal(last=False)
        self._seal(last=True)
        return full

    def _record(self, record: dict[str, Any]) -> None:
        line = _line(record)
        self._lines.update(line)
        self._pending += self._compress.compress(line)
        while len(self._pending) > CHUNK:
            self._seal(last=False)

    def _seal(self, *, last: bool) -> None:
        plain = bytes(self._pending[:CHUNK])
        del self._pending[:CHUNK]
        nonce = os.urandom(_NONCE)
        sealed = self._key.cipher.encrypt(nonce, plain, _aad(self._digest, self._index, last))
        self._out.write(_LEN.pack(len(sealed)) + nonce + sealed)
        self._index += 1


# -- reading --------------------------------------------------------------------------------
def read_header(handle: IO[bytes], path: Path) -> tuple[dict[str, Any], bytes]:
    """The header and the digest that binds it to every chunk."""
    if handle.read(len(MAGIC)) != MAGIC:
        raise BackupError(f"{path} is not a phonelist backup (or its first bytes are damaged)")
    size_bytes = handle.read(_LEN.size)
    size = _LEN.unpack(size_bytes)[0] if len(size_bytes) == _LEN.size else 0
    raw = handle.read(size) if 0 < size <= _MAX_HEADER else b""
    try:
        header = json.loads(raw)
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError
    except ValueError:
        raise BackupError(f"{path}: the backup header is damaged or of an unknown format") from None
    return header, hashlib.sha256(MAGIC + raw).digest()


class BackupReader:
    """Decrypts, checks and parses a backup file as a stream of (table, columns, row) events.

    Nothing read is trusted before its chunk authenticated; the manifest's counts and checksum
    are checked at the end, after which :attr:`manifest` is set.
    """

    def __init__(self, handle: IO[bytes], path: Path, key: BackupKey) -> None:
        self.path = path
        self._handle = handle
        self._key = key
        self.header, self._digest = read_header(handle, path)
        if self.header.get("key_id") != key.key_id:
            raise BackupError(
                f"this backup was made with backup key {self.header.get('key_id')}; the key in "
                f"{key.source} is {key.key_id}: restore the backup.key that was in use "
                "then (or the backup header is damaged)"
            )
        self.manifest: dict[str, Any] | None = None

    def _chunks(self) -> Iterator[bytes]:
        index = 0
        handle = self._handle
        size_bytes = handle.read(_LEN.size)
        while True:
            if len(size_bytes) != _LEN.size:
                raise self._damaged("the file ends inside a chunk")
            size = _LEN.unpack(size_bytes)[0]
            if not _TAG <= size <= CHUNK + _TAG:
                raise self._damaged(f"chunk {index} has an impossible length")
            nonce = handle.read(_NONCE)
            sealed = handle.read(size)
            if len(nonce) != _NONCE or len(sealed) != size:
                raise self._damaged("the file is cut short")
            size_bytes = handle.read(_LEN.size)
            last = size_bytes == b""
            try:
                yield self._key.cipher.decrypt(nonce, sealed, _aad(self._digest, index, last))
            except InvalidTag:
                raise self._damaged(f"chunk {index} does not authenticate") from None
            if last:
                return
            index += 1

    def _damaged(self, why: str) -> BackupError:
        return BackupError(
            f"{self.path}: authentication failed ({why}): the file is damaged or the key is wrong",
            details={"reason": why},
        )

    def _lines(self) -> Iterator[bytes]:
        decompress = zlib.decompressobj()
        rest = b""
        try:
            for chunk in self._chunks():
                rest += decompress.decompress(chunk)
                *lines, rest = rest.split(b"\n")
                yield from lines
            rest += decompress.flush()
        except zlib.error:
            raise self._damaged("the compressed stream is invalid") from None
        if rest or not decompress.eof:
            raise self._damaged("the stream does not end with a full record")

    def events(self) -> Iterator[tuple[str, list[str], list[Any]]]:
        """Yield (table, columns, decoded row); then check the manifest."""
        checksum = hashlib.sha256()
        counts: dict[str, int] = {}
        table, columns = "", []
        for raw in self._lines():
            record = json.loads(raw)
            if "m" in record:
                self._check_manifest(record["m"], counts, checksum.hexdigest())
                return
            checksum.update(raw + b"\n")
            if "t" in record:
                table, columns = record["t"], record["c"]
                counts[table] = 0
            else:
                counts[table] += 1
                yield table, columns, [decode_value(v) for v in record["r"]]
        raise self._damaged("the manifest is missing")

    def _check_manifest(self, manifest: Any, counts: dict[str, int], checksum: str) -> None:
        if manifest.get("sha256") != checksum or manifest.get("counts") != counts:
            raise BackupError(f"{self.path}: the contents do not match the manifest")
        self.manifest = manifest
