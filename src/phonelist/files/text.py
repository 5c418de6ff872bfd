"""Text files read safely: encoding detection, binary refusal, and lines of bounded length.

Nothing here reads more than :data:`~phonelist.files.limits.SNIFF_BYTES` up front or more than
one line's worth (at most :data:`~phonelist.files.limits.MAX_LINE_CHARS`) at a time.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from phonelist.files.errors import FileRejected
from phonelist.files.limits import (
    BINARY_CONTROL_RATIO,
    MAX_LINE_CHARS,
    MAX_ROW_CHARS,
    SNIFF_BYTES,
)

__all__ = [
    "Encoding",
    "LineReader",
    "bad_encoding",
    "describe",
    "detect_encoding",
    "locate_bad_bytes",
    "open_text",
    "read_head",
]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ALLOWED_CONTROLS = frozenset("\t\n\r\x0b\x0c")
_DESCRIBED = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "cp1252": "Windows-1252",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32-le": "UTF-32",
    "utf-32-be": "UTF-32",
}


@dataclass(frozen=True, slots=True)
class Encoding:
    """How to decode a file: ``name`` as reported (``utf-8-sig`` when there was a BOM),
    ``codec`` to decode with after skipping ``skip`` bytes of BOM."""

    name: str
    codec: str
    skip: int


def read_head(path: Path, name: str) -> tuple[bytes, bool]:
    """The first SNIFF_BYTES of the file, and whether that is the whole file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES + 1)
    except FileNotFoundError:
        raise FileRejected("file_unreadable", name, "no such file") from None
    except IsADirectoryError:
        raise FileRejected("file_unreadable", name, "is a directory, not a file") from None
    except OSError as exc:
        raise FileRejected("file_unreadable", name, f"cannot be read ({exc.strerror})") from None
    return head[:SNIFF_BYTES], len(head) <= SNIFF_BYTES


def detect_encoding(head: bytes, complete: bool, name: str, given: str | None) -> Encoding:
    """The file's encoding: a BOM if there is one, else strict UTF-8, else Windows-1252.

    UTF-16 without a BOM is recognised by its NUL bytes. ``given`` (``--encoding``) wins over
    detection, except that a UTF-8 BOM is still skipped. Binary data is refused here.
    """
    encoding = _detected(head, complete, name) if given is None else _given(head, name, given)
    sample = head[encoding.skip :]
    try:
        text = codecs.getincrementaldecoder(encoding.codec)().decode(sample, final=complete)
    except UnicodeDecodeError as exc:
        before = sample[: exc.start].decode(encoding.codec, errors="replace")
        raise bad_encoding(name, before.count("\n") + 1, encoding.name) from None
    _refuse_binary(text, name)
    return encoding


def describe(encoding: str) -> str:
    """An encoding's name as people know it: ``utf-8-sig`` -> ``UTF-8``."""
    return _DESCRIBED.get(encoding, encoding)


def bad_encoding(name: str, line: int, encoding: str) -> FileRejected:
    return FileRejected(
        "file_bad_encoding",
        name,
        f"line {line} is not valid {describe(encoding)}; "
        "save the file as UTF-8 or say which encoding it uses",
        line=line,
    )


def _given(head: bytes, name: str, given: str) -> Encoding:
    try:
        codec = codecs.lookup(given).name
    except LookupError:
        raise FileRejected("file_bad_encoding", name, f"unknown text encoding {given!r}") from None
    for bom, bom_codec in _BOMS:
        if head.startswith(bom) and codecs.lookup(bom_codec.removesuffix("-sig")).name == codec:
            return Encoding(bom_codec, bom_codec.removesuffix("-sig"), len(bom))
    return Encoding(codec, codec, 0)


def _detected(head: bytes, complete: bool, name: str) -> Encoding:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            codec = "utf-8" if encoding == "utf-8-sig" else encoding
            return Encoding(encoding, codec, len(bom))
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16 is None:
            raise _binary(name)
        return Encoding(utf16, utf16, 0)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        return Encoding("utf-8", "utf-8", 0)
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        raise FileRejected(
            "file_bad_encoding",
            name,
            "the text encoding is not recognised (not UTF-8, UTF-16 or Windows-1252); "
            "save the file as UTF-8",
        ) from None
    return Encoding("cp1252", "cp1252", 0)


def _utf16_without_bom(head: bytes) -> str | None:
    """Mostly-ASCII UTF-16 has a NUL in every other byte: odd ones for LE, even ones for BE."""
    even, odd = head[0::2], head[1::2]
    if not odd:
        return None
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.7 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.7 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _refuse_binary(text: str, name: str) -> None:
    if "\x00" in text:
        raise _binary(name)
    # C0 controls only: C1 ones (U+0080-U+009F) are what Windows-1252 text read as Latin-1 has.
    controls = sum(1 for char in text if char < " " and char not in _ALLOWED_CONTROLS)
    if text and controls / len(text) > BINARY_CONTROL_RATIO:
        raise _binary(name)


def _binary(name: str) -> FileRejected:
    return FileRejected(
        "file_binary",
        name,
        "this is not a text file (it holds binary data); save it as CSV, XLSX, vCard or JSON Lines",
    )


def open_text(path: Path, encoding: Encoding) -> IO[str]:
    """The file as text, BOM skipped, line breaks untranslated (as the csv module wants)."""
    raw = path.open("rb")
    try:
        raw.seek(encoding.skip)
        return io.TextIOWrapper(raw, encoding=encoding.codec, errors="strict", newline="")
    except BaseException:
        raw.close()
        raise


def locate_bad_bytes(path: Path, encoding: Encoding) -> int:
    """The line holding the first bytes that are not valid in ``encoding``.

    A text stream decodes ahead in blocks, so its error does not say which line failed: the
    file is decoded again here, a block at a time, and the failing block a byte at a time.
    """
    decoder = codecs.getincrementaldecoder(encoding.codec)()
    lines, cr_pending = 1, False

    def count(text: str) -> None:
        nonlocal lines, cr_pending
        if not text:
            return
        lines += text.count("\n") + text.count("\r") - text.count("\r\n")
        if cr_pending and text.startswith("\n"):
            lines -= 1
        cr_pending = text.endswith("\r")

    with path.open("rb") as handle:
        handle.seek(encoding.skip)
        while block := handle.read(SNIFF_BYTES):
            state = decoder.getstate()
            try:
                count(decoder.decode(block))
                continue
            except UnicodeDecodeError:
                decoder.setstate(state)
            for index in range(len(block)):
                try:
                    count(decoder.decode(block[index : index + 1]))
                except UnicodeDecodeError:
                    return lines
    return lines


class LineReader(Iterator[str]):
    """Physical lines of a text stream, each at most MAX_LINE_CHARS, never read whole first.

    Counts lines for messages, and characters per *record* (a CSV row over several lines, or
    a vCard): :meth:`start_record` begins a new count, which may not pass MAX_ROW_CHARS.
    """

    def __init__(
        self, stream: IO[str], name: str, encoding: Encoding, path: Path | None = None
    ) -> None:
        self.stream = stream
        self.name = name
        self.encoding = encoding
        self.path = path
        self.line_number = 0
        self.record_start = 1
        self._record_chars = 0

    def start_record(self) -> None:
        self.record_start = self.line_number + 1
        self._record_chars = 0

    def __next__(self) -> str:
        try:
            line = self.stream.readline(MAX_LINE_CHARS + 2)
        except UnicodeDecodeError:
            bad = self.line_number + 1
            if self.path is not None:
                bad = locate_bad_bytes(self.path, self.encoding)
            raise bad_encoding(self.name, bad, self.encoding.name) from None
        if not line:
            raise StopIteration
        self.line_number += 1
        if len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
            raise FileRejected(
                "file_line_too_long",
                self.name,
                f"line {self.line_number} is longer than {MAX_LINE_CHARS:,} characters",
                line=self.line_number,
            )
        self._record_chars += len(line)
        if self._record_chars > MAX_ROW_CHARS:
            raise FileRejected(
                "file_row_too_long",
                self.name,
                f"the row that starts on line {self.record_start} is longer than "
                f"{MAX_ROW_CHARS:,} characters (is a quote left open?)",
                line=self.record_start,
            )
        return line
