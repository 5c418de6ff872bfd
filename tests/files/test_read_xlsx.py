"""XLSX: cells read as the text a person sees, streamed from the chosen sheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from phonelist.files import FileRejected, open_table
from tests.files.makers import xlsx


def test_cells_become_the_text_a_person_sees(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "people.xlsx",
        [
            ["Name", "Phone", "Damaged", "Size", "Born", "Seen", "VIP", "Note"],
            [
                "Ana",
                351912345678,  # a number typed without its +
                3.51912345678e11,  # the same, stored as a float
                3.5,
                dt.date(1990, 5, 17),
                dt.datetime(2024, 1, 2, 10, 30),
                True,
                "'=1+2",
            ],
            ["Bruno", "+1 202 555 0143", 1e20, -0.5, None, dt.datetime(2024, 1, 2), False, None],
        ],
    )
    with open_table(path) as table:
        assert (table.format, table.sheet, table.encoding) == ("xlsx", "First", None)
        rows = list(table)
    assert rows == [
        (
            1,
            {
                "Name": "Ana",
                "Phone": "351912345678",
                "Damaged": "351912345678",
                "Size": "3.5",
                "Born": "1990-05-17",
                "Seen": "2024-01-02T10:30:00",
                "VIP": "TRUE",
                "Note": "=1+2",
            },
        ),
        (
            2,
            {
                "Name": "Bruno",
                "Phone": "+1 202 555 0143",
                "Damaged": "1e+20",
                "Size": "-0.5",
                "Born": "",
                "Seen": "2024-01-02",
                "VIP": "FALSE",
                "Note": "",
            },
        ),
    ]


def test_header_found_below_empty_rows_and_rows_numbered_from_it(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "gaps.xlsx",
        [[], [None, None], ["phone", "phone", None], ["1", "2"], [], ["3", None, None]],
    )
    with open_table(path) as table:
        assert table.columns == ["phone", "phone (2)"]
        assert list(table) == [
            (1, {"phone": "1", "phone (2)": "2"}),
            (3, {"phone": "3", "phone (2)": ""}),
        ]
        assert [n for n, _ in table.rows(after=1)] == [3]


def test_a_sheet_is_chosen_by_name(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "two.xlsx", [["a"], ["1"]], sheets={"Clientes": [["b"], ["2"]]})
    with open_table(path, sheet="Clientes") as table:
        assert table.sheet == "Clientes" and list(table) == [(1, {"b": "2"})]
    with pytest.raises(FileRejected) as caught:
        open_table(path, sheet="Missing")
    assert caught.value.code == "file_no_sheet"
    assert caught.value.message == (
        "two.xlsx: there is no sheet named 'Missing' (sheets: First, Clientes)"
    )


def test_a_zip_magic_wins_over_the_extension(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "renamed.csv", [["a"], ["1"]])
    with open_table(path) as table:
        assert table.format == "xlsx" and list(table) == [(1, {"a": "1"})]


def test_an_empty_sheet_is_refused(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "empty.xlsx", [])
    with pytest.raises(FileRejected) as caught:
        open_table(path)
    assert caught.value.message == "empty.xlsx: the sheet 'First' is empty"
