"""Writers: formula injection neutralised, and every format reads back as it was written."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phonelist.files import join_list, neutralize_formula, open_table, open_writer
from phonelist.files.layout import restore_formula, split_list

COLUMNS = [
    "id",
    "display_name",
    "first_name",
    "last_name",
    "phone",
    "phone_label",
    "phone_2",
    "phone_2_label",
    "email",
    "email_label",
    "country",
    "region",
    "city",
    "postal_code",
    "time_zone",
    "status",
    "tags",
    "lists",
    "source",
    "note",
    "custom.size",
    "custom.since",
    "created_at",
    "updated_at",
]
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "vcard": "vcf", "jsonl": "jsonl"}


def write(tmp_path: Path, kind: str, records: list[dict[str, str]], **kw: object) -> Path:
    path = tmp_path / f"export.{EXTENSIONS[kind]}"
    with path.open("wb") as out:
        writer = open_writer(kind, out, COLUMNS, **kw)  # type: ignore[arg-type]
        for record in records:
            writer.write(record)
        writer.close()
    return path


def read_back(path: Path) -> list[dict[str, str]]:
    with open_table(path) as table:
        return [{c: values.get(c, "") for c in COLUMNS} for _, values in table]


# -- formula injection ------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_each_dangerous_prefix_is_escaped(prefix: str) -> None:
    assert neutralize_formula(f"{prefix}1+1") == f"'{prefix}1+1"
    assert neutralize_formula(f"{prefix}1+1", phone=True) == f"'{prefix}1+1"
    assert restore_formula(f"'{prefix}1+1") == f"{prefix}1+1"


@pytest.mark.parametrize(
    ("value", "phone", "written"),
    [
        ("+351912345678", True, "+351912345678"),  # E.164 in a number column: usable as is
        ("+351912345678", False, "'+351912345678"),  # the same text elsewhere: escaped
        ("+1+cmd|' /C calc'!A0", True, "'+1+cmd|' /C calc'!A0"),
        ("+12025550143+1", True, "'+12025550143+1"),
        ("+12345", True, "'+12345"),  # too short for E.164
        ("+1234567890123456", True, "'+1234567890123456"),  # too long
        ("+351 912 345 678", True, "'+351 912 345 678"),  # national spacing is not E.164
        ("912 345 678", True, "912 345 678"),
        ("'=already", False, "''=already"),  # so that reading it back gives '=already
        ("'t Hooft", False, "'t Hooft"),
        ("Ana", False, "Ana"),
        ("", False, ""),
    ],
)
def test_the_e164_rule_and_reversibility(value: str, phone: bool, written: str) -> None:
    assert neutralize_formula(value, phone=phone) == written
    assert restore_formula(written) == value


@given(st.text())
def test_restoring_undoes_neutralising(value: str) -> None:
    assert restore_formula(neutralize_formula(value)) == value
    guarded = neutralize_formula(value)
    assert not guarded or guarded[0] not in "=+-@\t\r"


PAYLOADS = {
    "display_name": '=HYPERLINK("http://evil","x")',
    "first_name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "last_name": "-2+3",
    "phone": "+1+cmd|' /C calc'!A0",
    "phone_2": "+12025550143",
    "note": "\tTab",
    "city": "\rCR",
}


def test_csv_cells_are_escaped(tmp_path: Path) -> None:
    path = write(tmp_path, "csv", [{"id": "1", **PAYLOADS}])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,display_name,") and b"\r\n" in raw
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[1].startswith('1,"\'=HYPERLINK(""http://evil"",""x"")",\'@SUM(1+1)*cmd')
    assert ",'-2+3,'+1+cmd|' /C calc'!A0,,+12025550143," in lines[1]
    assert ",'\tTab," in lines[1] and ',"\'\rCR",' in lines[1]
    assert read_back(path)[0] == {c: ({"id": "1", **PAYLOADS}).get(c, "") for c in COLUMNS}


def test_xlsx_cells_are_escaped_text(tmp_path: Path) -> None:
    path = write(tmp_path, "xlsx", [{"id": "1", **PAYLOADS}])
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None and sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header == COLUMNS and sheet["A1"].font.b
    row = {header[i]: cell for i, cell in enumerate(sheet[2])}
    for column, value in PAYLOADS.items():
        cell = row[column]
        assert cell.data_type == "s", column  # text, never a formula
        expected = value if column == "phone_2" else "'" + value
        assert cell.value == expected.replace("\r", "_x000D_"), column
    assert read_back(path)[0]["display_name"] == PAYLOADS["display_name"]


# -- format details ---------------------------------------------------------------------------
def test_vcard_lines_are_folded_at_75_octets_without_splitting_characters(tmp_path: Path) -> None:
    note = "é" * 100 + "ç" * 3 + "x" * 50
    path = write(tmp_path, "vcard", [{"id": "1", "first_name": "Ana", "note": note}])
    raw = path.read_bytes()
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # each physical line is valid UTF-8 on its own
    text = raw.decode("utf-8")
    assert "FN;X-PHONELIST-DERIVED=TRUE:Ana\r\n" in text and "N:;Ana;;;\r\n" in text
    assert read_back(path)[0]["note"] == note


def test_jsonl_is_the_api_contact_shape_with_typed_custom_values(tmp_path: Path) -> None:
    record = {
        "id": "1",
        "phone": "+351912345678",
        "phone_label": "mobile",
        "phone_2": "+351210000000",
        "tags": join_list(["vip", "a;b"]),
        "custom.size": "-5",
        "custom.since": "2024-01-02",
    }
    path = write(tmp_path, "jsonl", [record], custom_types={"size": "number", "since": "date"})
    [line] = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line) == {
        "id": "1",
        "phones": [
            {"number": "+351912345678", "label": "mobile", "primary": True},
            {"number": "+351210000000", "primary": False},
        ],
        "emails": [],
        "tags": ["vip", "a;b"],
        "lists": [],
        "custom": {"size": -5, "since": "2024-01-02"},
    }
    assert read_back(path)[0] == {c: record.get(c, "") for c in COLUMNS}


def test_writers_leave_the_stream_open() -> None:
    for kind in EXTENSIONS:
        stream = io.BytesIO()
        writer = open_writer(kind, stream, ["id", "phone"])
        writer.write({"id": "1", "phone": "+351912345678"})
        writer.close()
        assert not stream.closed and stream.getvalue()


# -- round trips ------------------------------------------------------------------------------
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\x85"),
    max_size=20,
)
_ITEM = _TEXT.map(str.strip).filter(bool)


@st.composite
def records(draw: st.DrawFn) -> dict[str, str]:
    record = {column: draw(_TEXT) for column in COLUMNS}
    record["id"] = draw(_ITEM)
    if not record["phone"]:  # slots are filled in order
        record["phone_2"] = ""
    for slot in ("phone", "phone_2", "email"):
        if not record[slot]:  # a label goes with its number
            record[f"{slot}_label"] = ""
    record["tags"] = join_list(draw(st.lists(_ITEM, max_size=3)))
    record["lists"] = join_list(draw(st.lists(_ITEM, max_size=3)))
    record["note"] = draw(st.text(alphabet=st.sampled_from("ab é\n\r\t;,\\="), max_size=30))
    return record


@pytest.mark.parametrize("kind", ["csv", "jsonl", "vcard", "xlsx"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=st.lists(records(), min_size=1, max_size=4))
def test_what_is_written_reads_back_identically(
    tmp_path: Path, kind: str, batch: list[dict[str, str]]
) -> None:
    if kind == "vcard":  # vCard has no escape for a carriage return: CR LF becomes LF
        batch = [{**r, "note": r["note"].replace("\r\n", "\n").replace("\r", "\n")} for r in batch]
    path = write(tmp_path, kind, batch)
    assert read_back(path) == batch


def _split_one_by_one(cell: str) -> list[str]:
    """split_list's rule, a character at a time: ; and , split, \\ escapes the next one."""
    parts, current, escaped = [], "", False
    for char in cell:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            escaped = True
        elif char in ";,":
            parts, current = [*parts, current], ""
        else:
            current += char
    return [part.strip() for part in [*parts, current] if part.strip()]


@given(st.text(alphabet=st.sampled_from("ab ;,\\\t\u00a0é"), max_size=20))
def test_split_list_follows_its_rule_with_or_without_escapes(cell: str) -> None:
    assert split_list(cell) == _split_one_by_one(cell)
