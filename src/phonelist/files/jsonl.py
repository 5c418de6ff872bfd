"""JSON Lines: one JSON object per line, read into canonical columns and written from them.

An object may use the flat canonical names (``phone``, ``phone_2_label``, ``custom.size``) or
the nested shape of the API's ``ContactIn``/``ContactOut``: ``phones`` and ``emails`` as lists
of strings or of ``{"number"|"e164"|"email", "label", "primary"}`` (the primary goes to slot 1),
``tags`` and ``lists`` as lists, ``custom`` as an object, ``notes`` as a list of
``{"body"}``. Numbers become their JSON text, booleans ``true``/``false``; any other nested
value becomes its compact JSON text. ``row_number`` is the line number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from phonelist.files.errors import FileRejected
from phonelist.files.layout import (
    CUSTOM_PREFIX,
    NOTE_SEPARATOR,
    custom_column,
    join_list,
    label_column,
    parse_slot,
    slot_column,
    split_list,
)
from phonelist.files.table import RecordTable, Rows
from phonelist.files.text import Encoding, LineReader, open_text

__all__ = ["JsonlTable", "JsonlWriter", "flatten"]

_NUMBER_KEYS = ("number", "e164", "national")


class JsonlTable(RecordTable):
    """Every object is a row; the columns are the keys found in any line, in canonical order."""

    def __init__(self, path: Path, name: str, encoding: Encoding) -> None:
        super().__init__(path, name, "jsonl")
        self._encoding = encoding
        self.encoding = encoding.name

    records_word = "objects"
    fields_word = "keys"
    empty_code = "file_empty"
    empty_problem = "the file is empty"
    skip_blank_rows = True

    def _items(self) -> Rows:
        with open_text(self.path, self._encoding) as stream:
            lines = LineReader(stream, self.name, self._encoding, self.path)
            for line in lines:
                lines.start_record()
                text = line.strip()
                if not text:
                    continue
                number = lines.line_number
                try:
                    value = json.loads(text, parse_constant=_no_constant)
                except ValueError as exc:
                    raise self._bad(number, _reason(exc)) from None
                if not isinstance(value, dict):
                    hint = "; is this one JSON array rather than JSON Lines?"
                    raise self._bad(
                        number,
                        f"is not a JSON object{hint if isinstance(value, list) else ''}",
                    )
                yield number, flatten(value)

    def _bad(self, line: int, problem: str) -> FileRejected:
        return FileRejected("file_bad_json", self.name, f"line {line} {problem}", line=line)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"is not valid JSON ({exc.msg} at column {exc.colno})"
    return f"is not valid JSON ({exc})"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def flatten(obj: Mapping[str, Any]) -> dict[str, str]:
    """One JSON object as a canonical record."""
    record: dict[str, str] = {}
    notes: list[str] = []
    for key, value in obj.items():
        if key in ("phones", "emails") and isinstance(value, list):
            kind = key[:-1]
            _slots(record, kind, value, _NUMBER_KEYS if kind == "phone" else ("email",))
        elif key in ("tags", "lists") and isinstance(value, list):
            record[key] = join_list(_text(item) for item in value if _text(item))
        elif key == "custom" and isinstance(value, dict):
            for name, item in value.items():
                record[custom_column(str(name))] = _text(item)
        elif key == "notes" and isinstance(value, list):
            notes.extend(
                _text(item.get("body")) if isinstance(item, dict) else _text(item) for item in value
            )
        elif key == "note":
            notes.insert(0, _text(value))
        elif value is not None:
            record[str(key)] = _text(value)
    if any(notes):
        record["note"] = NOTE_SEPARATOR.join(note for note in notes if note)
    return record


def _slots(record: dict[str, str], kind: str, items: list[Any], keys: tuple[str, ...]) -> None:
    entries = []
    for item in items:
        if isinstance(item, dict):
            number = next((_text(item[k]) for k in keys if item.get(k) is not None), "")
            entries.append((number, _text(item.get("label")), item.get("primary") is True))
        else:
            entries.append((_text(item), "", False))
    entries.sort(key=lambda entry: not entry[2])
    for slot, (number, label, _) in enumerate(entries, start=1):
        record[slot_column(kind, slot)] = number
        record[label_column(kind, slot)] = label


class JsonlWriter:
    """Canonical records as JSON objects in the API's contact shape, one per line, UTF-8.

    Empty values are left out. ``custom_types`` (field name -> type) writes number and
    boolean custom fields as JSON numbers and booleans.
    """

    def __init__(
        self, stream: IO[bytes], columns: list[str], custom_types: Mapping[str, str] | None
    ) -> None:
        self.stream = stream
        self.columns = columns
        self.custom_types = dict(custom_types or {})

    def write(self, record: dict[str, str]) -> None:
        obj: dict[str, Any] = {}
        for column in self.columns:
            value = record.get(column, "")
            slot = parse_slot(column)
            if slot is not None:
                kind, number, is_label = slot
                entries = obj.setdefault(f"{kind}s", [])
                if not is_label and value:
                    entry: dict[str, Any] = {"number" if kind == "phone" else "email": value}
                    label = record.get(label_column(kind, number), "")
                    if label and label_column(kind, number) in self.columns:
                        entry["label"] = label
                    entry["primary"] = not entries
                    entries.append(entry)
            elif column.startswith(CUSTOM_PREFIX):
                custom = obj.setdefault("custom", {})
                if value:
                    name = column[len(CUSTOM_PREFIX) :]
                    custom[name] = _typed(value, self.custom_types.get(name))
            elif column in ("tags", "lists"):
                obj[column] = split_list(value)
            elif value:
                obj[column] = value
        line = json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"
        self.stream.write(line.encode("utf-8"))

    def close(self) -> None:
        self.stream.flush()


def _typed(text: str, kind: str | None) -> Any:
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    if kind == "number":
        for parse in (int, float):
            try:
                return parse(text)
            except ValueError:
                continue
    return text
