"""Registry file parsers (D2, D5): every layout, and errors that name the file and the line."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from phonelist.errors import PhonelistError
from phonelist.suppression import registry_files
from phonelist.suppression.registry_files import (
    RegistryEntry,
    RegistryFileError,
    read_optout_list,
    read_registry_file,
)


def add(e164: str) -> RegistryEntry:
    return RegistryEntry(e164=e164, area_code=e164[2:5], action="add")


def delete(e164: str) -> RegistryEntry:
    return RegistryEntry(e164=e164, area_code=e164[2:5], action="delete")


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def write_zip(tmp_path: Path, name: str, members: dict[str, str | bytes]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return path


# Text layouts


def test_one_ten_digit_number_per_line(tmp_path: Path) -> None:
    path = write(tmp_path, "dnc-202.txt", "2025550123\n2025550124\n")
    assert list(read_registry_file(path)) == [add("+12025550123"), add("+12025550124")]


def test_area_code_comma_number(tmp_path: Path) -> None:
    path = write(tmp_path, "dnc-202.csv", '202,5550123\n "202" , "5550124" \n"202,5550125"\n')
    assert list(read_registry_file(path)) == [
        add("+12025550123"),
        add("+12025550124"),
        add("+12025550125"),
    ]


def test_crlf_bom_blank_lines_and_whitespace(tmp_path: Path) -> None:
    content = b"\xef\xbb\xbf2025550123\r\n\r\n   \r\n\t202,5550124  \r\n'3105550199'\r\n"
    path = write(tmp_path, "dnc.txt", content)
    assert list(read_registry_file(path)) == [
        add("+12025550123"),
        add("+12025550124"),
        RegistryEntry(e164="+13105550199", area_code="310", action="add"),
    ]


def test_a_bad_line_names_the_file_and_line_after_earlier_entries(tmp_path: Path) -> None:
    lines = ["2025550123", "", "202,5550124", "2025550125", "", "2025550126", "20255", "2025550127"]
    path = write(tmp_path, "dnc-202.txt", "\n".join(lines) + "\n")
    entries = read_registry_file(path)
    assert [next(entries) for _ in range(4)] == [
        add("+12025550123"),
        add("+12025550124"),
        add("+12025550125"),
        add("+12025550126"),
    ]
    with pytest.raises(RegistryFileError) as caught:
        next(entries)
    assert str(caught.value) == (
        "dnc-202.txt line 7: '20255' is not a 10-digit US number or 'area code,number'"
    )
    assert caught.value.details == {"file": "dnc-202.txt", "line": 7}
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, PhonelistError)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("202555012", "is not a 10-digit US number or 'area code,number'"),
        ("12025550123", "is not a 10-digit US number or 'area code,number'"),
        ("202-555-0123", "is not a 10-digit US number or 'area code,number'"),
        ("2025,550123", "is not a 10-digit US number or 'area code,number'"),
        (
            "\uff12\uff10\uff12\uff15\uff15\uff15\uff10\uff11\uff12\uff13",  # full-width digits
            "is not a 10-digit US number or 'area code,number'",
        ),
        ("1025550123", "is not a US number: area code and exchange must start with 2-9"),
        ("202,1550123", "is not a US number: area code and exchange must start with 2-9"),
        ("0025550123", "is not a US number: area code and exchange must start with 2-9"),
    ],
)
def test_invalid_numbers_are_refused(tmp_path: Path, line: str, problem: str) -> None:
    path = write(tmp_path, "dnc.txt", f"2025550123\n{line}\n")
    with pytest.raises(RegistryFileError) as caught:
        list(read_registry_file(path))
    assert str(caught.value) == f"dnc.txt line 2: {line!r} {problem}"


def test_a_line_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "dnc.txt", b"2025550123\n\xff\xfe\n")
    with pytest.raises(RegistryFileError, match=r"^dnc\.txt line 2: not UTF-8 text$"):
        list(read_registry_file(path))


def test_an_overlong_line_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "dnc.txt", "2" * 5000)
    with pytest.raises(RegistryFileError, match=r"^dnc\.txt line 1: longer than 1024 bytes$"):
        list(read_registry_file(path))


def test_a_missing_file_is_a_registry_file_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryFileError, match=r"^nope\.txt: cannot be read"):
        list(read_registry_file(tmp_path / "nope.txt"))


def test_an_unknown_kind_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(RegistryFileError, match="kind 'adds' is not one of full, additions"):
        read_registry_file(tmp_path / "never-opened.txt", kind="adds")


# Change files


def test_change_file_with_an_action_column(tmp_path: Path) -> None:
    content = "202,5550123,A\n2025550124,delete\n202,5550125,D\n2025550126,add\n202,5550127, d \n"
    path = write(tmp_path, "changes.txt", content)
    assert list(read_registry_file(path, kind="changes")) == [
        add("+12025550123"),
        delete("+12025550124"),
        delete("+12025550125"),
        add("+12025550126"),
        delete("+12025550127"),
    ]


@pytest.mark.parametrize(("kind", "make"), [("additions", add), ("deletions", delete)])
def test_change_kind_given_by_the_caller(
    tmp_path: Path, kind: str, make: Callable[[str], RegistryEntry]
) -> None:
    path = write(tmp_path, f"{kind}.txt", "2025550123\n202,5550124\n")
    assert list(read_registry_file(path, kind=kind)) == [make("+12025550123"), make("+12025550124")]


def test_a_change_file_needs_the_action_column(tmp_path: Path) -> None:
    path = write(tmp_path, "changes.txt", "202,5550123,A\n202,5550124\n")
    with pytest.raises(RegistryFileError) as caught:
        list(read_registry_file(path, kind="changes"))
    assert str(caught.value) == (
        "changes.txt line 2: '202,5550124' has no action column (A or D, add or delete), "
        "which a change file needs"
    )


def test_an_unknown_action_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "changes.txt", "202,5550123,X\n")
    with pytest.raises(RegistryFileError) as caught:
        list(read_registry_file(path, kind="changes"))
    assert str(caught.value) == (
        "changes.txt line 1: '202,5550123,X' has an unknown action 'X' (A or D, add or delete)"
    )


@pytest.mark.parametrize(
    ("kind", "line", "says"),
    [("deletions", "2025550123,A", "add"), ("full", "202,5550123,D", "delete")],
)
def test_an_action_column_must_agree_with_the_kind(
    tmp_path: Path, kind: str, line: str, says: str
) -> None:
    path = write(tmp_path, "f.txt", line + "\n")
    with pytest.raises(RegistryFileError) as caught:
        list(read_registry_file(path, kind=kind))
    assert str(caught.value) == f"f.txt line 1: {line!r} says {says} in a file read as {kind}"


def test_an_agreeing_action_column_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "f.txt", "2025550123,A\n")
    assert list(read_registry_file(path, kind="additions")) == [add("+12025550123")]


# XML


def test_xml_number_elements(tmp_path: Path) -> None:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<numbers areaCode="202" date="2025-06-01">\n'
        "  <number>2025550123</number>\n"
        "  <number> 2025550124 </number>\n"
        "</numbers>\n"
    )
    path = write(tmp_path, "dnc-202.xml", content)
    assert list(read_registry_file(path)) == [add("+12025550123"), add("+12025550124")]


def test_xml_with_a_namespace_and_nesting(tmp_path: Path) -> None:
    content = (
        '<dnc xmlns="urn:example:dnc"><header><created>2025-06-01</created></header>'
        '<list><number action="D">2025550123</number></list></dnc>'
    )
    path = write(tmp_path, "dnc.xml", content)
    assert list(read_registry_file(path, kind="changes")) == [delete("+12025550123")]


def test_xml_record_attributes(tmp_path: Path) -> None:
    content = (
        "<records>"
        '<record areaCode="202" number="5550123" action="A"/>'
        '<record areaCode="202" number="5550124" action="D"/>'
        '<record number="3105550199" action="delete"/>'
        "</records>"
    )
    path = write(tmp_path, "changes.xml", content)
    assert list(read_registry_file(path, kind="changes")) == [
        add("+12025550123"),
        delete("+12025550124"),
        RegistryEntry(e164="+13105550199", area_code="310", action="delete"),
    ]


def test_a_bad_xml_record_names_the_record(tmp_path: Path) -> None:
    content = (
        '<records><record number="2025550123"/><record areaCode="202" number="555"/></records>'
    )
    path = write(tmp_path, "dnc.xml", content)
    with pytest.raises(RegistryFileError) as caught:
        list(read_registry_file(path))
    assert str(caught.value) == (
        "dnc.xml record 2: '202,555' is not a 10-digit US number or 'area code,number'"
    )
    assert caught.value.details == {"file": "dnc.xml", "record": 2}


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "dnc.xml", "<numbers>\n<number>2025550123</number>\n<number>\n")
    with pytest.raises(RegistryFileError, match=r"^dnc\.xml line 4: not well-formed XML"):
        list(read_registry_file(path))


def test_xml_entities_are_refused(tmp_path: Path) -> None:
    content = (
        '<?xml version="1.0"?>\n<!DOCTYPE numbers [<!ENTITY n "2025550123">]>\n'
        "<numbers><number>&n;</number></numbers>"
    )
    path = write(tmp_path, "dnc.xml", content)
    with pytest.raises(RegistryFileError, match=r"^dnc\.xml: refused XML"):
        list(read_registry_file(path))


def test_xml_without_any_record_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "dnc.xml", "<list><phone>2025550123</phone></list>")
    with pytest.raises(RegistryFileError, match="no <number> elements"):
        list(read_registry_file(path))


def test_an_empty_xml_list_has_no_entries(tmp_path: Path) -> None:
    path = write(tmp_path, "dnc.xml", '<numbers date="2025-06-01"/>')
    assert list(read_registry_file(path)) == []


# Zip


def test_zip_with_two_members(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path,
        "dnc.zip",
        {
            "dnc-202.txt": "2025550123\r\n202,5550124\r\n",
            "310/dnc-310.xml": "<numbers><number>3105550199</number></numbers>",
        },
    )
    assert [entry.e164 for entry in read_registry_file(path)] == [
        "+12025550123",
        "+12025550124",
        "+13105550199",
    ]


def test_an_error_in_a_member_names_the_zip_and_the_member(tmp_path: Path) -> None:
    path = write_zip(tmp_path, "dnc.zip", {"a.txt": "2025550123\n", "b.csv": "2025550123\nbad\n"})
    with pytest.raises(RegistryFileError) as caught:
        list(read_registry_file(path))
    assert str(caught.value) == (
        "dnc.zip:b.csv line 2: 'bad' is not a 10-digit US number or 'area code,number'"
    )


def test_a_zip_is_recognised_without_its_suffix(tmp_path: Path) -> None:
    path = write_zip(tmp_path, "dnc-download.dat", {"dnc-202.txt": "2025550123\n"})
    assert list(read_registry_file(path)) == [add("+12025550123")]


def test_a_high_ratio_member_is_refused_before_any_entry(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path, "bomb.zip", {"ok.txt": "2025550123\n", "blank.txt": b"\n" * 1_000_000}
    )
    with pytest.raises(RegistryFileError) as caught:
        next(read_registry_file(path))
    message = str(caught.value)
    assert message.startswith("bomb.zip: member 'blank.txt' expands ")
    assert message.endswith(" times, more than 100: refused as a possible zip bomb")


def test_a_member_over_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry_files, "MAX_MEMBER_BYTES", 20)
    path = write_zip(tmp_path, "dnc.zip", {"dnc.txt": "2025550123\n2025550124\n"})
    with pytest.raises(RegistryFileError) as caught:
        list(read_registry_file(path))
    assert str(caught.value) == (
        "dnc.zip: member 'dnc.txt' is 22 bytes uncompressed, more than the limit of 20 bytes"
    )


def test_a_member_of_another_type_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path, "dnc.zip", {"dnc.txt": "2025550123\n", "run.exe": b"MZ"})
    with pytest.raises(RegistryFileError) as caught:
        list(read_registry_file(path))
    assert str(caught.value) == "dnc.zip: member 'run.exe' is not a .txt, .csv or .xml file"


def test_a_broken_zip_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "dnc.zip", "2025550123\n")
    with pytest.raises(RegistryFileError, match=r"^dnc\.zip: not a readable zip file"):
        list(read_registry_file(path))


def test_an_empty_zip_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path, "dnc.zip", {})
    with pytest.raises(RegistryFileError, match=r"^dnc\.zip: the zip file holds no files$"):
        list(read_registry_file(path))


# Portugal (D5)


def test_portuguese_optout_list(tmp_path: Path) -> None:
    content = '\ufeff912345678\r\n+351 912 345 679\r\n\r\n00351212345678\r\n"961234567"\r\n'
    path = write(tmp_path, "optout.txt", content)
    assert list(read_optout_list(path)) == [
        RegistryEntry(e164="+351912345678", area_code="91", action="add"),
        RegistryEntry(e164="+351912345679", area_code="91", action="add"),
        RegistryEntry(e164="+351212345678", area_code="21", action="add"),
        RegistryEntry(e164="+351961234567", area_code="96", action="add"),
    ]


@pytest.mark.parametrize(
    "line", ["812345678", "91234567", "9123456789", "+34912345678", "9l2345678"]
)
def test_a_bad_portuguese_number_names_the_line(tmp_path: Path, line: str) -> None:
    path = write(tmp_path, "optout.txt", f"912345678\n{line}\n")
    with pytest.raises(RegistryFileError) as caught:
        list(read_optout_list(path))
    assert str(caught.value) == (
        f"optout.txt line 2: {line!r} is not a Portuguese number "
        "(9 digits starting with 2 or 9, optionally after +351 or 00351)"
    )


def test_only_the_portuguese_optout_list_is_known(tmp_path: Path) -> None:
    with pytest.raises(RegistryFileError, match="country 'ES' \\(only PT\\)"):
        read_optout_list(tmp_path / "optout.txt", country="ES")
