"""Files that are not what they claim, or that break a limit: refused, with the exact message.

Every case builds its bad file in the test. Each is refused when the file is opened, before
a single row is handed out, so an importer that opens first writes nothing.
"""

from __future__ import annotations

import json
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from phonelist.errors import ValidationError
from phonelist.files import FileRejected, open_table
from phonelist.files.limits import MAX_COLUMNS, MAX_LINE_CHARS, MAX_ROW_CHARS
from tests.files.makers import MIB, xlsx, zip_bomb


def refused(path: Path, **options: str) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        open_table(path, **options)
    error = caught.value
    assert isinstance(error, ValidationError) and error.status == 422 and error.field == "file"
    assert error.details["file"] == path.name
    return error


def check(error: FileRejected, code: str, message: str) -> None:
    assert (error.code, error.message) == (code, message)


# -- not text ---------------------------------------------------------------------------------
def test_binary_data_with_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64)
    check(
        refused(path),
        "file_binary",
        "photo.csv: this is not a text file (it holds binary data); "
        "save it as CSV, XLSX, vCard or JSON Lines",
    )


def test_binary_data_without_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(b"name,phone\n" + bytes(range(1, 32)) * 100)
    check(
        refused(path),
        "file_binary",
        "noise.txt: this is not a text file (it holds binary data); "
        "save it as CSV, XLSX, vCard or JSON Lines",
    )


def test_an_old_excel_file(tmp_path: Path) -> None:
    path = tmp_path / "legacy.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    check(
        refused(path),
        "file_unsupported",
        "legacy.xls: this is an old Excel (.xls) or password-protected workbook, which "
        "phonelist does not read; save it as .xlsx or CSV",
    )


def test_an_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    check(
        refused(path, format="pdf"),
        "file_unsupported",
        "a.csv: unknown format 'pdf'; use one of csv, tsv, xlsx, vcard, jsonl",
    )


@pytest.mark.parametrize("content", [b"", b"  \r\n\n\t"])
def test_an_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    check(refused(path), "file_empty", "empty.csv: the file is empty")


def test_a_missing_file(tmp_path: Path) -> None:
    check(refused(tmp_path / "gone.csv"), "file_unreadable", "gone.csv: no such file")


# -- encodings --------------------------------------------------------------------------------
def test_invalid_utf8_after_the_sniffed_part(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    good = "name\n" + "José\n" * 20_000  # past the 64 KiB that are sniffed
    path.write_bytes(good.encode("utf-8") + b"Jos\xe9\n")
    check(
        refused(path),
        "file_bad_encoding",
        "late.csv: line 20002 is not valid UTF-8; save the file as UTF-8 or say which "
        "encoding it uses",
    )


def test_an_unrecognised_encoding(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b"name\nab\x81\x8d\n")  # neither UTF-8 nor Windows-1252
    check(
        refused(path),
        "file_bad_encoding",
        "odd.csv: the text encoding is not recognised (not UTF-8, UTF-16 or Windows-1252); "
        "save the file as UTF-8",
    )


def test_an_unknown_or_wrong_explicit_encoding(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("name\nJosé\n".encode("cp1252"))
    check(
        refused(path, encoding="klingon"),
        "file_bad_encoding",
        "x.csv: unknown text encoding 'klingon'",
    )
    check(
        refused(path, encoding="utf-8"),
        "file_bad_encoding",
        "x.csv: line 2 is not valid UTF-8; save the file as UTF-8 or say which encoding it uses",
    )


# -- sizes ------------------------------------------------------------------------------------
def test_a_100_mb_single_line_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b"name,phone\n")
        for _ in range(100):
            handle.write(b"a" * MIB)
    tracemalloc.start()
    try:
        error = refused(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    check(
        error,
        "file_line_too_long",
        f"huge.csv: line 2 is longer than {MAX_LINE_CHARS:,} characters",
    )
    assert error.details["line"] == 2
    assert peak < 16 * MIB  # a few copies of one MiB line at most, never the 100 MB


def test_a_long_value(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text('name,note\nAna,"' + "x" * 200_000 + '"\n', encoding="utf-8")
    check(
        refused(path),
        "file_field_too_long",
        "long.csv: line 2: a value is longer than 131,072 characters",
    )


def test_a_quote_left_open(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    path.write_text('name,note\nAna,"never closed\n' + "more text\n" * 50_000, encoding="utf-8")
    check(
        refused(path),
        "file_field_too_long",
        "open.csv: line 2: a value is longer than 131,072 characters (is a quote left open?)",
    )


def test_a_row_too_long_over_many_lines(tmp_path: Path) -> None:
    path = tmp_path / "tall.csv"
    value = '"' + ("y" * 999 + "\n") * 100 + '"'  # 100,000 characters over 100 lines
    path.write_text(
        ",".join(f"c{i}" for i in range(50)) + "\n" + ",".join([value] * 50) + "\n",
        encoding="utf-8",
    )
    check(
        refused(path),
        "file_row_too_long",
        f"tall.csv: the row that starts on line 2 is longer than {MAX_ROW_CHARS:,} characters "
        "(is a quote left open?)",
    )


def test_a_million_columns_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("," * 999_999 + "last\n1\n", encoding="utf-8")
    check(
        refused(path),
        "file_too_many_columns",
        f"wide.csv: the header has 1,000,000 columns; at most {MAX_COLUMNS:,} are allowed",
    )


def test_a_million_values_in_a_row(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("name,phone\nAna" + "," * 999_999 + "\n", encoding="utf-8")
    check(
        refused(path),
        "file_too_many_columns",
        "wide.csv: line 2 has 1,000,000 values; at most 1,000 columns are allowed",
    )


def test_values_beyond_the_header(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("name,phone\nAna,1\nSilva, Ana,2\n", encoding="utf-8")
    check(
        refused(path),
        "file_ragged_row",
        "ragged.csv: line 3 has 3 values but the header has 2 columns "
        "(is a value missing its quotes?)",
    )


def test_a_header_name_that_is_not_a_name(tmp_path: Path) -> None:
    path = tmp_path / "noheader.csv"
    path.write_text("phone," + "x" * 300 + "\n", encoding="utf-8")
    check(
        refused(path),
        "file_bad_header",
        "noheader.csv: the name of column 2 (line 1) is longer than 255 characters; "
        "is the first row a header?",
    )


def test_the_error_is_found_before_any_row_is_handed_out(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("name,phone\n" + "Ana,1\n" * 10_000 + "Bad,1,extra\n", encoding="utf-8")
    check(
        refused(path),
        "file_ragged_row",
        "late.csv: line 10002 has 3 values but the header has 2 columns "
        "(is a value missing its quotes?)",
    )


# -- XLSX -------------------------------------------------------------------------------------
def test_an_xlsx_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "contacts.xlsx"
    path.write_text("name,phone\nAna,1\n", encoding="utf-8")
    check(
        refused(path),
        "file_not_xlsx",
        "contacts.xlsx: this is not an XLSX file (it is not a zip archive)",
    )


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("holiday.txt", "hello")
    check(
        refused(path),
        "file_not_xlsx",
        "photos.xlsx: this is a zip archive, not an Excel workbook (.xlsx)",
    )


def test_a_damaged_workbook(tmp_path: Path) -> None:
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml")
    error = refused(path)
    check(
        error,
        "file_not_xlsx",
        "damaged.xlsx: the workbook is damaged or not an Excel workbook; open it in Excel and "
        "save it again, or save it as CSV",
    )


def billion_laughs() -> bytes:
    """A sheet whose one cell expands to 10^9 "lol"s through nested XML entities."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()


def test_xml_entity_expansion_in_a_workbook(tmp_path: Path) -> None:
    good = xlsx(tmp_path / "good.xlsx", [["a"], ["1"]])
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = billion_laughs()
            target.writestr(member, data)
    error = refused(path)
    assert error.details["cause"] == "EntitiesForbidden"  # defusedxml, not a memory blow-up
    check(
        error,
        "file_not_xlsx",
        "laughs.xlsx: the workbook is damaged or not an Excel workbook; open it in Excel and "
        "save it again, or save it as CSV",
    )


def test_a_zip_bomb_of_1_gb(tmp_path: Path) -> None:
    path = zip_bomb(
        tmp_path / "bomb.xlsx",
        {"[Content_Types].xml": MIB, "xl/worksheets/sheet1.xml": 1024 * MIB},
    )
    assert path.stat().st_size < 2 * MIB
    check(
        refused(path),
        "file_zip_bomb",
        "bomb.xlsx: refused: the archive would unpack to 1,074,790,400 bytes, more than the "
        "500,000,000 allowed",
    )


def test_a_member_compressed_too_much(tmp_path: Path) -> None:
    path = zip_bomb(tmp_path / "dense.xlsx", {"xl/sharedStrings.xml": 100 * MIB})
    with zipfile.ZipFile(path) as archive:
        [member] = archive.infolist()
    ratio = member.file_size // member.compress_size
    assert ratio > 200
    check(
        refused(path),
        "file_zip_bomb",
        f"dense.xlsx: refused: xl/sharedStrings.xml is compressed {ratio:,} to 1; more than "
        "200 to 1 is refused as a zip bomb",
    )


def test_too_many_members_and_nested_archives(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(10_001):
            archive.writestr(f"x/{index}", "")
    check(
        refused(path),
        "file_zip_bomb",
        "many.xlsx: refused: the archive holds 10,001 files; a workbook has far fewer "
        "(at most 10,000 are allowed)",
    )
    nested = tmp_path / "nested.xlsx"
    with zipfile.ZipFile(nested, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/embeddings/inner.zip", b"PK\x05\x06" + b"\x00" * 18)
    check(
        refused(nested),
        "file_zip_bomb",
        "nested.xlsx: refused: the archive holds another archive (xl/embeddings/inner.zip)",
    )


def test_too_many_columns_or_a_value_without_header_in_a_sheet(tmp_path: Path) -> None:
    wide = xlsx(tmp_path / "wide.xlsx", [[f"c{i}" for i in range(1001)], ["x"]])
    check(
        refused(wide),
        "file_too_many_columns",
        "wide.xlsx: the header has more than 1,000 columns; at most 1,000 are allowed",
    )
    ragged = xlsx(tmp_path / "ragged.xlsx", [["name"], ["Ana"], ["Bruno", None, "stray"]])
    check(
        refused(ragged),
        "file_ragged_row",
        "ragged.xlsx: row 3 has a value in column C, which has no header",
    )


# -- vCard and JSON Lines ---------------------------------------------------------------------
def test_a_card_that_is_not_closed(tmp_path: Path) -> None:
    path = tmp_path / "cut.vcf"
    path.write_text("BEGIN:VCARD\nFN:A\nEND:VCARD\nBEGIN:VCARD\nFN:B\n", encoding="utf-8")
    check(
        refused(path),
        "file_not_vcard",
        "cut.vcf: the card that starts on line 4 is not closed (END:VCARD is missing)",
    )


def test_text_outside_a_card(tmp_path: Path) -> None:
    path = tmp_path / "people.vcf"
    path.write_text("name,phone\nAna,1\n", encoding="utf-8")
    check(
        refused(path),
        "file_not_vcard",
        "people.vcf: line 1 is outside a card (BEGIN:VCARD ... END:VCARD); is this a vCard?",
    )


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"phone": "1"}\n\n{"phone": }\n', encoding="utf-8")
    check(
        refused(path),
        "file_bad_json",
        "bad.jsonl: line 3 is not valid JSON (Expecting value at column 11)",
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("[1, 2]", "is not a JSON object; is this one JSON array rather than JSON Lines?"),
        ('"text"', "is not a JSON object"),
        ('{"size": NaN}', "is not valid JSON (NaN is not a JSON value)"),
    ],
)
def test_json_lines_that_are_not_objects(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps({"a": 1}) + "\n" + line + "\n", encoding="utf-8")
    check(refused(path), "file_bad_json", f"odd.jsonl: line 2 {problem}")


def test_the_name_shown_can_be_the_upload_name(tmp_path: Path) -> None:
    path = tmp_path / "tmp8x2k.upload"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(FileRejected) as caught:
        open_table(path, format="csv", name="Clientes Maio.csv")
    assert caught.value.message.startswith("Clientes Maio.csv: this is not a text file")
