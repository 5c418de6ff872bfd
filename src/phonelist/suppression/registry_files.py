"""Parsers for national do-not-call registry files (COMPLIANCE.md D2, D5), streaming and strict.

The US National Do Not Call Registry ships per-area-code files, full lists or change lists, as
flat text or XML, often zipped. A text line is either one 10-digit number (``2025550123``) or
``area code,number`` (``202,5550123``), optionally followed by an action column (``A``/``D``,
``add``/``delete``) in change files. XML holds ``<number>2025550123</number>`` elements or
elements with ``number`` (and optional ``areaCode`` and ``action``) attributes.

Files are read lazily, one line or element at a time, so a full list of millions of numbers
never sits in memory; an error can therefore come after some entries were yielded, and an
importer applies a file in one transaction. Anything that is not a valid entry is a
:class:`RegistryFileError` naming the file, the line (the record, for XML) and the problem.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element  # the type only; parsing goes through defusedxml

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

from phonelist.errors import ValidationError

__all__ = [
    "KINDS",
    "MAX_COMPRESSION_RATIO",
    "MAX_MEMBER_BYTES",
    "RegistryEntry",
    "RegistryFileError",
    "read_optout_list",
    "read_registry_file",
]

KINDS = ("full", "additions", "deletions", "changes")
MAX_MEMBER_BYTES = 200 * 1024 * 1024  # a zip member larger than this, uncompressed, is refused
MAX_COMPRESSION_RATIO = 100  # ... and so is one that expands more than this (a zip bomb)

_MEMBER_SUFFIXES = (".txt", ".csv", ".xml")
_MAX_LINE_BYTES = 1024  # registry lines are ~15 bytes: a longer one is not a registry file
_ACTIONS = {
    "a": "add",
    "add": "add",
    "added": "add",
    "addition": "add",
    "d": "delete",
    "del": "delete",
    "delete": "delete",
    "deleted": "delete",
    "deletion": "delete",
}
_KIND_ACTION = {"full": "add", "additions": "add", "deletions": "delete"}
_DIGITS = frozenset("0123456789")  # str.isdigit() would accept non-ASCII digits too
_ZIP_MAGIC = b"PK\x03\x04"


class RegistryFileError(ValidationError, ValueError):
    """A registry file that cannot be read, or one of its lines that is not a valid entry."""

    def __init__(
        self, message: str, *, file: str, line: int | None = None, record: int | None = None
    ) -> None:
        details: dict[str, object] = {"file": file}
        if line is not None:
            details["line"] = line
        if record is not None:
            details["record"] = record
        super().__init__(message, field="file", details=details)


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """One number of a registry file and what the file says about it."""

    e164: str  # "+12025550123"
    area_code: str  # "202" (US), "91" (PT: the first two digits of the national number)
    action: str  # "add" | "delete"


def read_registry_file(path: Path, *, kind: str = "full") -> Iterator[RegistryEntry]:
    """Stream the entries of a US Do Not Call Registry file: ``.zip`` (its members), ``.xml``,
    or anything else as text.

    ``kind`` says what the file is: ``full`` (every number is an addition), ``additions``,
    ``deletions``, or ``changes`` (every line carries its action column). An action column in a
    file of another kind must agree with that kind.
    """
    if kind not in KINDS:
        raise RegistryFileError(
            f"{path.name}: kind {kind!r} is not one of {', '.join(KINDS)}", file=path.name
        )
    return _read_registry(path, kind)


def read_optout_list(path: Path, *, country: str = "PT") -> Iterator[RegistryEntry]:
    """Stream Portugal's national opt-out list (D5): one number per line, national (912345678),
    ``+351...`` or ``00351...``; every entry is an addition."""
    if country.upper() != "PT":
        raise RegistryFileError(
            f"{path.name}: no opt-out list format is known for country {country!r} (only PT)",
            file=path.name,
        )
    return _read_optout(path)


def _read_registry(path: Path, kind: str) -> Iterator[RegistryEntry]:
    with _open(path) as stream:
        is_zip = path.suffix.lower() == ".zip" or stream.read(4) == _ZIP_MAGIC
        stream.seek(0)
        if is_zip:
            yield from _read_zip(stream, path.name, kind)
        elif path.suffix.lower() == ".xml":
            yield from _read_xml(stream, path.name, kind)
        else:
            yield from _read_text(stream, path.name, kind)


def _read_optout(path: Path) -> Iterator[RegistryEntry]:
    with _open(path) as stream:
        for line_no, line in _lines(stream, path.name):
            number = "".join(line.split())  # written in groups: "912 345 678"
            for prefix in ("+351", "00351"):
                number = number.removeprefix(prefix)
            if len(number) != 9 or not _DIGITS.issuperset(number) or number[0] not in "29":
                raise RegistryFileError(
                    f"{path.name} line {line_no}: {line!r} is not a Portuguese number "
                    "(9 digits starting with 2 or 9, optionally after +351 or 00351)",
                    file=path.name,
                    line=line_no,
                )
            yield RegistryEntry(e164=f"+351{number}", area_code=number[:2], action="add")


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise RegistryFileError(
            f"{path.name}: cannot be read ({exc.strerror})", file=path.name
        ) from exc


def _lines(stream: IO[bytes], label: str) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a UTF-8 text stream with their numbers, trimmed and unquoted.

    Lines are split on LF (a CR before it is whitespace), a BOM on the first line is dropped,
    and each line is decoded on its own so that an error names the exact line.
    """
    line_no = 0
    while raw := stream.readline(_MAX_LINE_BYTES + 1):
        line_no += 1
        if len(raw) > _MAX_LINE_BYTES:
            raise RegistryFileError(
                f"{label} line {line_no}: longer than {_MAX_LINE_BYTES} bytes",
                file=label,
                line=line_no,
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise RegistryFileError(
                f"{label} line {line_no}: not UTF-8 text", file=label, line=line_no
            ) from None
        if line_no == 1:
            text = text.removeprefix("\ufeff")
        line = _unquote(text.strip())
        if line:
            yield line_no, line


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" and text[0] not in text[1:-1]:
        return text[1:-1].strip()
    return text


def _read_text(stream: IO[bytes], label: str, kind: str) -> Iterator[RegistryEntry]:
    for line_no, line in _lines(stream, label):
        fields = [_unquote(field.strip()) for field in line.split(",")]
        yield _entry(fields, shown=line, file=label, line=line_no, kind=kind)


def _entry(
    fields: list[str],
    *,
    shown: str,
    file: str,
    kind: str,
    line: int | None = None,
    record: int | None = None,
) -> RegistryEntry:
    """Read ``[number]`` or ``[area, number]``, either followed by an action, into an entry;
    ``shown`` is the source text an error quotes, at ``line`` (text) or ``record`` (XML)."""

    def fail(problem: str) -> RegistryFileError:
        where = f"{file} line {line}" if line is not None else f"{file} record {record}"
        return RegistryFileError(
            f"{where}: {shown!r} {problem}", file=file, line=line, record=record
        )

    action_field: str | None = None
    if len(fields) in (2, 3) and not _DIGITS.issuperset(fields[-1]):
        action_field = fields[-1]
        fields = fields[:-1]
    if len(fields) == 1 and len(fields[0]) == 10 and _DIGITS.issuperset(fields[0]):
        digits = fields[0]
    elif (
        len(fields) == 2
        and (len(fields[0]), len(fields[1])) == (3, 7)
        and _DIGITS.issuperset(fields[0] + fields[1])
    ):
        digits = fields[0] + fields[1]
    else:
        raise fail("is not a 10-digit US number or 'area code,number'")
    # NANP: neither an area code nor an exchange starts with 0 or 1.
    if digits[0] in "01" or digits[3] in "01":
        raise fail("is not a US number: area code and exchange must start with 2-9")
    if action_field is None:
        if kind == "changes":
            raise fail("has no action column (A or D, add or delete), which a change file needs")
        action = _KIND_ACTION[kind]
    else:
        found = _ACTIONS.get(action_field.lower())
        if found is None:
            raise fail(f"has an unknown action {action_field!r} (A or D, add or delete)")
        expected = _KIND_ACTION.get(kind)
        if expected is not None and found != expected:
            raise fail(f"says {found} in a file read as {kind}")
        action = found
    return RegistryEntry(e164=f"+1{digits}", area_code=digits[:3], action=action)


def _local(name: str) -> str:
    return name.rpartition("}")[2].lower()


def _read_xml(stream: IO[bytes], label: str, kind: str) -> Iterator[RegistryEntry]:
    """Stream an XML registry file; each element is dropped from the tree once read, so memory
    stays bounded by one read chunk and the nesting depth, not by the file size."""
    open_elements: list[Element] = []
    records = 0
    saw_children = False
    try:
        for event, element in SafeElementTree.iterparse(
            stream, events=("start", "end"), forbid_dtd=True
        ):
            if event == "start":
                saw_children = saw_children or bool(open_elements)
                open_elements.append(element)
                continue
            open_elements.pop()
            fields = _xml_fields(element)
            if fields is not None:
                records += 1
                yield _entry(fields, shown=",".join(fields), file=label, record=records, kind=kind)
            if open_elements:
                open_elements[-1].remove(element)
    except SafeElementTree.ParseError as exc:
        line = exc.position[0]
        raise RegistryFileError(
            f"{label} line {line}: not well-formed XML ({exc})", file=label, line=line
        ) from None
    except DefusedXmlException as exc:
        raise RegistryFileError(f"{label}: refused XML ({exc})", file=label) from None
    if records == 0 and saw_children:
        raise RegistryFileError(
            f"{label}: no <number> elements and no elements with a number attribute",
            file=label,
        )


def _xml_fields(element: Element) -> list[str] | None:
    """A record element as the fields of a text line (``[area,] number[, action]``), or None
    if the element is not a record."""
    attributes = {_local(key): value.strip() for key, value in element.attrib.items()}
    if "number" in attributes:
        number = attributes["number"]
    elif _local(element.tag) == "number":
        number = (element.text or "").strip()
    else:
        return None
    area, action = attributes.get("areacode"), attributes.get("action")
    return [field for field in (area, number, action) if field is not None]


def _read_zip(stream: IO[bytes], label: str, kind: str) -> Iterator[RegistryEntry]:
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile as exc:
        raise RegistryFileError(f"{label}: not a readable zip file ({exc})", file=label) from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if not members:
            raise RegistryFileError(f"{label}: the zip file holds no files", file=label)
        for info in members:  # all are checked before any entry is yielded
            _check_member(label, info)
        for info in members:
            member = f"{label}:{info.filename}"
            try:
                # ZipExtFile never returns more than the header's file_size (a lie fails its
                # CRC check), so the checks above bound what is decompressed.
                with archive.open(info) as content:
                    if info.filename.lower().endswith(".xml"):
                        yield from _read_xml(content, member, kind)
                    else:
                        yield from _read_text(content, member, kind)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                raise RegistryFileError(
                    f"{member}: cannot be decompressed ({exc})", file=member
                ) from None


def _check_member(label: str, info: zipfile.ZipInfo) -> None:
    name = info.filename
    if not name.lower().endswith(_MEMBER_SUFFIXES):
        problem = "is not a .txt, .csv or .xml file"
    elif info.flag_bits & 0x1:
        problem = "is encrypted"
    elif info.file_size > MAX_MEMBER_BYTES:
        problem = (
            f"is {info.file_size} bytes uncompressed, more than the limit of "
            f"{MAX_MEMBER_BYTES} bytes"
        )
    elif info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        problem = (
            f"expands {ratio:.0f} times, more than {MAX_COMPRESSION_RATIO}: "
            "refused as a possible zip bomb"
        )
    else:
        return
    raise RegistryFileError(f"{label}: member {name!r} {problem}", file=label)
