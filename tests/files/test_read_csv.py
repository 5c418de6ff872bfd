"""CSV and TSV: encodings, delimiters, quoting, headers, and rows exactly as the file has them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phonelist.files import Table, open_table
from phonelist.files.layout import restore_formula
from phonelist.files.table import dedupe

TEXT = "Nome,Cidade,Telefone\nJoão,São Paulo,+55 11 91234-5678\nZoë,Köln, 0170 1234567 \n"
ROWS = [
    (1, {"Nome": "João", "Cidade": "São Paulo", "Telefone": "+55 11 91234-5678"}),
    (2, {"Nome": "Zoë", "Cidade": "Köln", "Telefone": " 0170 1234567 "}),
]


def read(path: Path, **options: str) -> tuple[list[tuple[int, dict[str, str]]], Table]:
    with open_table(path, **options) as table:
        return list(table), table


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),  # no BOM: told by its NUL bytes
        (TEXT.encode("cp1252"), "cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be", "utf-16-le-no-bom", "cp1252"],
)
def test_encodings_are_detected(tmp_path: Path, data: bytes, encoding: str) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(data)
    with open_table(path) as table:
        assert (table.format, table.encoding, table.delimiter) == ("csv", encoding, ",")
        assert table.columns == ["Nome", "Cidade", "Telefone"]
        assert list(table) == ROWS
        assert table.row_count == 2


def test_cp1252_specials_and_an_explicit_encoding(tmp_path: Path) -> None:
    path = tmp_path / "euro.csv"
    note = "€ 5 \u2013 \u201cok\u201d"  # euro sign, en dash and curly quotes: 0x80-0x9F
    path.write_bytes(f"name,note\nRené,{note}\n".encode("cp1252"))
    rows, table = read(path)
    assert rows == [(1, {"name": "René", "note": note})]
    rows, table = read(path, encoding="latin-1")
    assert table.encoding == "iso8859-1"
    assert rows[0][1]["name"] == "René"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    lines = [["name", "city", "phone"], ["Silva, Ana", "Porto; PT", "912|345"], ["B", "C", "D"]]
    text = "".join(
        delimiter.join(f'"{v}"' if any(d in v for d in ",;\t|") else v for v in row) + "\n"
        for row in lines
    )
    path = tmp_path / "list.txt"
    path.write_text(text, encoding="utf-8")
    rows, table = read(path)
    assert table.delimiter == delimiter
    assert rows[0][1] == {"name": "Silva, Ana", "city": "Porto; PT", "phone": "912|345"}


def test_explicit_delimiter_and_tsv_extension(tmp_path: Path) -> None:
    path = tmp_path / "one.tsv"
    path.write_text("phone\n+351912345678\n", encoding="utf-8")
    rows, table = read(path)
    assert (table.format, table.delimiter) == ("tsv", "\t")
    other = tmp_path / "semi.csv"
    other.write_text("a;b\n1;2\n", encoding="utf-8")
    rows, table = read(other, delimiter="tab")
    assert table.columns == ["a;b"] and rows == [(1, {"a;b": "1;2"})]


def test_quoted_line_breaks_quotes_and_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_bytes(
        b'name,note\r\nAna,"first line\r\nsecond ""quoted"" line"\r\nBruno,plain\rCarla,x\n'
    )
    rows, _ = read(path)
    assert rows == [
        (1, {"name": "Ana", "note": 'first line\r\nsecond "quoted" line'}),
        (2, {"name": "Bruno", "note": "plain"}),
        (3, {"name": "Carla", "note": "x"}),
    ]


def test_repeated_and_empty_headers_are_made_unique(tmp_path: Path) -> None:
    path = tmp_path / "dupes.csv"
    path.write_text(" Phone ,Phone,,Phone,Phone (2),\n1,2,3,4,5\n", encoding="utf-8")
    rows, table = read(path)
    columns = ["Phone", "Phone (2)", "column_3", "Phone (3)", "Phone (2) (2)"]
    assert table.columns == columns
    assert rows == [(1, dict(zip(columns, ["1", "2", "3", "4", "5"], strict=True)))]


def test_blank_rows_are_skipped_but_counted_and_resume_skips_rows(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("\n\nname,phone\na,1\n\n,\n  ,  \nb,2\nc\n", encoding="utf-8")
    with open_table(path) as table:
        assert [(n, v["name"]) for n, v in table] == [(1, "a"), (5, "b"), (6, "c")]
        assert [n for n, _ in table.rows(after=1)] == [5, 6]
        assert [n for n, _ in table.rows(after=5)] == [6]
        assert table.row_count == 3
        assert list(table.rows(after=1))[1][1] == {"name": "c", "phone": ""}


def test_trailing_empty_values_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text("a,b\n1,2,,,\n", encoding="utf-8")
    assert read(path)[0] == [(1, {"a": "1", "b": "2"})]


def test_values_are_raw_except_the_formula_guard(tmp_path: Path) -> None:
    path = tmp_path / "guarded.csv"
    path.write_text(
        "a,b,c,d,e\n'=1+2,'+351 912 345 678,'t Hooft,''=x,  spaced  \n", encoding="utf-8"
    )
    rows, _ = read(path)
    assert rows[0][1] == {
        "a": "=1+2",
        "b": "+351 912 345 678",
        "c": "'t Hooft",
        "d": "'=x",
        "e": "  spaced  ",
    }


def test_a_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("name,phone\n", encoding="utf-8")
    rows, table = read(path)
    assert rows == [] and table.row_count == 0


def test_without_a_scan_rows_are_still_read(tmp_path: Path) -> None:
    path = tmp_path / "quick.csv"
    path.write_text("a\n1\n2\n", encoding="utf-8")
    with open_table(path, scan=False) as table:
        assert table.row_count is None
        assert [n for n, _ in table] == [1, 2]


def test_closing_mid_way_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("a\n" + "x\n" * 100, encoding="utf-8")
    table = open_table(path)
    rows = iter(table)
    next(rows)
    table.close()
    assert list(rows) == []


# Values with what the reader treats specially: quotes, the formula guard, white space of
# every kind (a row of only white space is blank), delimiters and line breaks inside quotes.
_CELL = st.text(
    alphabet=st.sampled_from("a1 '=+-@\t\r\n\",;\u00a0\u2028\x0b\x85\u3000"), max_size=6
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.lists(st.text(alphabet="abc", min_size=1, max_size=3), min_size=1, max_size=4),
    rows=st.lists(st.lists(_CELL, max_size=5), max_size=8),
)
def test_rows_are_the_csv_records_as_the_rules_say(
    tmp_path: Path, header: list[str], rows: list[list[str]]
) -> None:
    """Blank records skipped but numbered, short ones padded, extra empty values dropped, the
    formula guard taken off: checked against the rules applied one value at a time."""
    width = len(header)
    rows = [row[:width] + [""] * (len(row) - width) for row in rows]  # extra values are empty
    path = tmp_path / "random.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    with path.open(newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))[1:]
    columns = dedupe(header)
    expected = []
    for number, record in enumerate(records, start=1):
        cells = record[:width]
        if any(cell.strip() for cell in cells):
            values = dict.fromkeys(columns, "")
            values.update(zip(columns, map(restore_formula, cells), strict=False))
            expected.append((number, values))
    with open_table(path, format="csv", delimiter=",") as table:
        assert table.columns == columns
        assert list(table) == expected
        assert table.row_count == len(expected)
