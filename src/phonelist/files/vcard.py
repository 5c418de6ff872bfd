"""vCard 2.1, 3.0 and 4.0 (RFC 2426, RFC 6350): each card read as one row of canonical columns,
and contacts written as vCard 4.0.

Read: FN -> display_name, N -> last_name/first_name, TEL and EMAIL -> slots (the preferred
one first; TYPE or an Apple ``X-ABLabel`` -> label), the first ADR -> city, region,
postal_code, country, TZ (a zone name, not a UTC offset) -> time_zone, CATEGORIES -> tags,
NOTE -> note, UID -> id; ORG, TITLE, BDAY, NICKNAME and URL -> extra columns
``organization``, ``title``, ``birthday``, ``nickname``, ``url``. The ``X-PHONELIST-*``
properties that exports write carry status, lists, source, custom fields and times. Lines are
unfolded; quoted-printable (2.1) is decoded; PHOTO, LOGO, SOUND and KEY are skipped without
being kept in memory.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from phonelist.files.errors import FileRejected
from phonelist.files.layout import (
    CUSTOM_PREFIX,
    NOTE_SEPARATOR,
    custom_column,
    is_custom_name,
    join_list,
    label_column,
    parse_slot,
    slot_column,
    split_list,
)
from phonelist.files.limits import MAX_ROW_CHARS
from phonelist.files.table import RecordTable, Rows
from phonelist.files.text import Encoding, LineReader, open_text

__all__ = ["VcardTable", "VcardWriter"]

_SKIPPED = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})
_READ_TYPES = {
    "cell": "mobile",
    "mobile": "mobile",
    "home": "home",
    "work": "work",
    "fax": "fax",
    "pager": "pager",
    "main": "main",
    "other": "other",
}
_WRITE_TYPES = {"mobile": "cell", "home": "home", "work": "work", "fax": "fax", "pager": "pager"}
_APPLE_LABEL = re.compile(r"_\$!<(.*)>!\$_")
_EXTRAS = {
    "TITLE": "title",
    "BDAY": "birthday",
    "NICKNAME": "nickname",
    "URL": "url",
}
_DERIVED = "X-PHONELIST-DERIVED"
_E164 = re.compile(r"\+[0-9]+")
_Getter = Callable[[str], str]
_UTC_OFFSET = re.compile(r"[+-]?\d{1,2}(:?\d{2})?")  # vCard 3.0's TZ:-05:00, not a zone name


@dataclass
class _Property:
    group: str
    name: str
    params: dict[str, list[str]]
    value: str

    def types(self) -> list[str]:
        return [t.lower() for t in self.params.get("TYPE", [])]

    def preferred(self) -> bool:
        return "pref" in self.types() or "PREF" in self.params


@dataclass
class _Card:
    start: int
    properties: list[_Property] = field(default_factory=list)
    size: int = 0


class VcardTable(RecordTable):
    """Every card is a row; the columns are those found in any card, in canonical order."""

    def __init__(self, path: Path, name: str, encoding: Encoding) -> None:
        super().__init__(path, name, "vcard")
        self._encoding = encoding
        self.encoding = encoding.name

    records_word = "cards"
    fields_word = "fields"
    empty_code = "file_not_vcard"
    empty_problem = "the file holds no vCard"
    skip_blank_rows = False

    def _items(self) -> Rows:
        with open_text(self.path, self._encoding) as stream:
            lines = LineReader(stream, self.name, self._encoding, self.path)
            card: _Card | None = None
            number = 0
            for start, line in self._logical_lines(lines):
                upper = line.strip().upper()
                if upper == "BEGIN:VCARD":
                    if card is not None:
                        raise self._not_vcard(start, "a card begins inside another card")
                    card = _Card(start)
                elif upper == "END:VCARD":
                    if card is None:
                        raise self._not_vcard(start, "END:VCARD without BEGIN:VCARD")
                    number += 1
                    yield number, _record(card.properties)
                    card = None
                elif card is None:
                    raise self._not_vcard(
                        start, "is outside a card (BEGIN:VCARD ... END:VCARD); is this a vCard?"
                    )
                else:
                    card.size += len(line)
                    if card.size > MAX_ROW_CHARS:
                        raise FileRejected(
                            "file_row_too_long",
                            self.name,
                            f"the card that starts on line {card.start} is longer than "
                            f"{MAX_ROW_CHARS:,} characters",
                            line=card.start,
                        )
                    parsed = _parse(line)
                    if parsed is not None:
                        card.properties.append(parsed)
            if card is not None:
                raise FileRejected(
                    "file_not_vcard",
                    self.name,
                    f"the card that starts on line {card.start} is not closed "
                    "(END:VCARD is missing)",
                    line=card.start,
                )

    def _not_vcard(self, line: int, problem: str) -> FileRejected:
        return FileRejected("file_not_vcard", self.name, f"line {line} {problem}", line=line)

    def _logical_lines(self, lines: LineReader) -> Iterator[tuple[int, str]]:
        """Unfolded lines with the line they start on. Skipped properties are never joined."""
        pending: list[str] | None = None
        start, size, skipping, soft_breaks = 0, 0, False, False
        for raw in lines:
            lines.start_record()  # cards are limited below, on what is kept
            line = raw.rstrip("\r\n")
            if line[:1] in (" ", "\t") and (pending is not None or skipping):
                if pending is not None:
                    pending.append(line[1:])
                    size += len(line)
                    self._check_size(size, start)
                continue
            if pending is not None and soft_breaks and pending[-1].endswith("="):
                pending[-1] = pending[-1][:-1]  # a quoted-printable soft line break
                pending.append(line)
                size += len(line)
                self._check_size(size, start)
                continue
            if pending is not None:
                yield start, "".join(pending)
            pending, skipping = None, False
            if not line.strip():
                continue
            head = line.split(":", 1)[0]
            name = head.split(";", 1)[0].rsplit(".", 1)[-1].upper()
            if name in _SKIPPED:
                skipping = True
                continue
            pending, start, size = [line], lines.line_number, len(line)
            soft_breaks = "QUOTED-PRINTABLE" in head.upper()
        if pending is not None:
            yield start, "".join(pending)

    def _check_size(self, size: int, start: int) -> None:
        if size > MAX_ROW_CHARS:
            raise FileRejected(
                "file_row_too_long",
                self.name,
                f"the property on line {start} is longer than {MAX_ROW_CHARS:,} characters",
                line=start,
            )


# -- parsing ----------------------------------------------------------------------------------
def _split_outside_quotes(text: str, separator: str, limit: int = -1) -> list[str]:
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
            current.append(char)
        elif char == separator and not quoted and limit != 0:
            parts.append("".join(current))
            current = []
            limit -= 1
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _parse(line: str) -> _Property | None:
    pieces = _split_outside_quotes(line, ":", 1)
    if len(pieces) != 2:
        return None
    head, value = pieces
    tokens = _split_outside_quotes(head, ";")
    group, _, name = tokens[0].rpartition(".")
    params: dict[str, list[str]] = {}
    for token in tokens[1:]:
        key, equals, raw = token.partition("=")
        if not equals:  # vCard 2.1: TEL;CELL;PREF or ;QUOTED-PRINTABLE
            raw = key
            key = "ENCODING" if key.upper() in ("QUOTED-PRINTABLE", "BASE64") else "TYPE"
        values = [v.strip('"') for v in _split_outside_quotes(raw, ",")]
        params.setdefault(key.upper(), []).extend(values)
    encoding = [e.upper() for e in params.get("ENCODING", [])]
    if any(e in ("B", "BASE64") for e in encoding):
        return None  # binary data (a photo, a key): not contact fields
    if "QUOTED-PRINTABLE" in encoding:
        value = _quoted_printable(value, params.get("CHARSET", ["utf-8"])[0])
    return _Property(group.upper(), name.upper(), params, value)


def _quoted_printable(value: str, charset: str) -> str:
    data = quopri.decodestring(value.encode("utf-8"))
    for codec in (charset, "utf-8", "cp1252"):
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _unescape(text: str) -> str:
    out, escaped = [], False
    for char in text:
        if escaped:
            out.append("\n" if char in "nN" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    if escaped:
        out.append("\\")
    return "".join(out)


def _components(text: str, separator: str) -> list[str]:
    """Split on ``separator`` where it is not escaped; each part unescaped."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(_unescape("".join(current)))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append(_unescape("".join(current)))
    return parts


def _label(prop: _Property, group_labels: dict[str, str]) -> str:
    if prop.group and prop.group in group_labels:
        text = group_labels[prop.group]
        apple = _APPLE_LABEL.fullmatch(text)
        return apple.group(1) if apple else text
    words = [_READ_TYPES[t] for t in prop.types() if t in _READ_TYPES]
    return " ".join(dict.fromkeys(words))


def _record(properties: list[_Property]) -> dict[str, str]:
    group_labels = {
        p.group: _unescape(p.value) for p in properties if p.name == "X-ABLABEL" and p.group
    }
    record: dict[str, str] = {}
    tels = sorted((p for p in properties if p.name == "TEL"), key=lambda p: not p.preferred())
    for slot, prop in enumerate(tels, start=1):
        value = _unescape(prop.value)
        record[slot_column("phone", slot)] = value.removeprefix("tel:")
        record[label_column("phone", slot)] = _label(prop, group_labels)
    emails = sorted((p for p in properties if p.name == "EMAIL"), key=lambda p: not p.preferred())
    for slot, prop in enumerate(emails, start=1):
        record[slot_column("email", slot)] = _unescape(prop.value)
        record[label_column("email", slot)] = _label(prop, group_labels)
    notes, tags, lists = [], [], []
    for prop in properties:
        name = prop.name
        if name == "FN" and "display_name" not in record:
            derived = any(v.upper() == "TRUE" for v in prop.params.get(_DERIVED, []))
            record["display_name"] = "" if derived else _unescape(prop.value)
        elif name == "N" and "last_name" not in record:
            parts = [*_components(prop.value, ";"), "", ""]
            record["last_name"], record["first_name"] = parts[0], parts[1]
        elif name == "ADR" and ("city" not in record or prop.preferred()):
            parts = [*_components(prop.value, ";"), *[""] * 7]
            record["city"], record["region"] = parts[3], parts[4]
            record["postal_code"], record["country"] = parts[5], parts[6]
        elif name == "TZ" and (
            "TEXT" in [v.upper() for v in prop.params.get("VALUE", [])]
            or not _UTC_OFFSET.fullmatch(prop.value.strip())
        ):
            record["time_zone"] = _unescape(prop.value)
        elif name == "NOTE":
            notes.append(_unescape(prop.value))
        elif name == "CATEGORIES":
            tags.extend(_components(prop.value, ","))
        elif name == "UID":
            record["id"] = _unescape(prop.value)
        elif name == "ORG":
            record["organization"] = ", ".join(p for p in _components(prop.value, ";") if p)
        elif name in _EXTRAS:
            record[_EXTRAS[name]] = _unescape(prop.value)
        elif name == "REV":
            record["updated_at"] = _unescape(prop.value)
        elif name == "X-PHONELIST-CREATED":
            record["created_at"] = _unescape(prop.value)
        elif name == "X-PHONELIST-STATUS":
            record["status"] = _unescape(prop.value)
        elif name == "X-PHONELIST-SOURCE":
            record["source"] = _unescape(prop.value)
        elif name == "X-PHONELIST-LISTS":
            lists.extend(_components(prop.value, ","))
        elif name == "X-PHONELIST-CUSTOM":
            field_name = prop.params.get("X-FIELD", [""])[0]
            if is_custom_name(field_name):
                record[custom_column(field_name)] = _unescape(prop.value)
    if notes:
        record["note"] = NOTE_SEPARATOR.join(notes)
    if tags:
        record["tags"] = join_list(t for t in tags if t)
    if lists:
        record["lists"] = join_list(name for name in lists if name)
    return record


# -- writing ----------------------------------------------------------------------------------
def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF and a space; UTF-8 never split."""
    if len(line.encode("utf-8")) <= 75:
        return line
    chunks: list[str] = []
    current: list[str] = []
    size, limit = 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            chunks.append("".join(current))
            current, size, limit = [], 0, 74
        current.append(char)
        size += width
    chunks.append("".join(current))
    return "\r\n ".join(chunks)


class VcardWriter:
    """Canonical records as vCard 4.0 cards, UTF-8, CRLF line ends, lines folded at 75 octets.

    A label that is not one of mobile, home, work, fax or pager is written Apple's way
    (``itemN.TEL`` with ``itemN.X-ABLABEL``), which Apple and Google Contacts both show.
    When there is no display name, FN (which vCard requires) is made from the names or the
    number and marked ``X-PHONELIST-DERIVED=TRUE``, so that reading it back gives no
    display name.
    """

    def __init__(self, stream: IO[bytes], columns: list[str]) -> None:
        self.stream = stream
        self.columns = columns
        self._chosen = set(columns)
        self._slots = {
            kind: sorted(
                slot
                for column in columns
                if (parsed := parse_slot(column)) is not None and parsed[0] == kind
                for slot in [parsed[1]]
                if not parsed[2]
            )
            for kind in ("phone", "email")
        }

    def write(self, record: dict[str, str]) -> None:
        lines = ["BEGIN:VCARD", "VERSION:4.0"]
        value = self._value(record)
        if value("id"):
            lines.append(f"UID:{_escape(value('id'))}")
        lines.append(self._fn(record, value))
        if value("first_name") or value("last_name"):
            lines.append(f"N:{_escape(value('last_name'))};{_escape(value('first_name'))};;;")
        group = 0
        for kind, name in (("phone", "TEL"), ("email", "EMAIL")):
            for slot in self._slots[kind]:
                number = value(slot_column(kind, slot))
                if not number:
                    continue
                label = value(label_column(kind, slot))
                params = ";PREF=1" if slot == self._slots[kind][0] else ""
                prefix = ""
                if label in _WRITE_TYPES:
                    params = f";TYPE={_WRITE_TYPES[label]}{params}"
                elif label:
                    group += 1
                    prefix = f"item{group}."
                if kind == "phone" and _E164.fullmatch(number):
                    lines.append(f"{prefix}{name};VALUE=uri{params}:tel:{number}")
                elif kind == "phone":
                    lines.append(f"{prefix}{name};VALUE=text{params}:{_escape(number)}")
                else:
                    lines.append(f"{prefix}{name}{params}:{_escape(number)}")
                if prefix:
                    lines.append(f"{prefix}X-ABLABEL:{_escape(label)}")
        place = [value(f) for f in ("city", "region", "postal_code", "country")]
        if any(place):
            lines.append("ADR:;;;" + ";".join(_escape(p) for p in place))
        if value("time_zone"):
            lines.append(f"TZ;VALUE=text:{_escape(value('time_zone'))}")
        if value("tags"):
            lines.append("CATEGORIES:" + ",".join(_escape(t) for t in split_list(value("tags"))))
        if value("note"):
            lines.append(f"NOTE:{_escape(value('note'))}")
        for column, prop in (("status", "STATUS"), ("source", "SOURCE")):
            if value(column):
                lines.append(f"X-PHONELIST-{prop}:{_escape(value(column))}")
        if value("lists"):
            names = ",".join(_escape(n) for n in split_list(value("lists")))
            lines.append(f"X-PHONELIST-LISTS:{names}")
        for column in self.columns:
            if column.startswith(CUSTOM_PREFIX) and value(column):
                field_name = column[len(CUSTOM_PREFIX) :]
                lines.append(f"X-PHONELIST-CUSTOM;X-FIELD={field_name}:{_escape(value(column))}")
        if value("created_at"):
            lines.append(f"X-PHONELIST-CREATED:{_escape(value('created_at'))}")
        if value("updated_at"):
            lines.append(f"REV:{_escape(value('updated_at'))}")
        lines.append("END:VCARD")
        self.stream.write(("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8"))

    def _value(self, record: dict[str, str]) -> _Getter:
        chosen = self._chosen

        def get(column: str) -> str:
            return record.get(column, "") if column in chosen else ""

        return get

    def _fn(self, record: dict[str, str], value: _Getter) -> str:
        if value("display_name"):
            return f"FN:{_escape(value('display_name'))}"
        names = " ".join(n for n in (value("first_name"), value("last_name")) if n)
        first_phone = next((value(slot_column("phone", s)) for s in self._slots["phone"]), "")
        derived = names or first_phone or value("email")
        return f"FN;{_DERIVED}=TRUE:{_escape(derived)}"

    def close(self) -> None:
        self.stream.flush()
