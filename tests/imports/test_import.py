"""phonelist import: messy files in, clean de-duplicated contacts and a report of every reject."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from phonelist import Phonelist, ValidationError
from phonelist.contacts.fields import FieldDefinition
from phonelist.contacts.schemas import plain_text
from phonelist.imports import ConsentBasis, ImportOptions
from phonelist.imports import rows as row_rules
from phonelist.imports.rows import Columns
from phonelist.security.permissions import Actor
from phonelist.store.models import (
    ConsentRecord,
    Contact,
    ImportJob,
    ImportReject,
    PhoneNumber,
    Suppression,
)
from tests.imports.helpers import snapshot

PT_HEADERS = ["Nome", "Apelido", "Telemóvel", "Telefone", "E-mail", "País", "Cidade", "Etiquetas"]
PT_ROWS = [
    ["Ana", "Lima", "912 345 678", "", "ana@example.org", "PT", "Porto", "vip; cliente"],
    ["Bruno", "Sousa", "+351 91 234 5679", "21 000 0000", "", "PT", "Lisboa", ""],
    ["Carla", "Dias", "00351912345680", "", "carla@example", "PT", "", ""],  # bad email
    ["Duarte", "", "12", "", "", "PT", "", ""],  # too short
    ["Eva", "Reis", "", "", "", "PT", "", ""],  # no number
    ["Ana", "Lima", "+351912345678", "", "", "PT", "", ""],  # duplicate of row 1
    ["Fábio", "Gil", "(202) 555-0143", "", "", "US", "", ""],
]


def write_csv(path: Path, headers: list[str], rows: list[list[str]], **kw: Any) -> Path:
    with path.open("w", newline="", encoding=kw.pop("encoding", "utf-8")) as handle:
        writer = csv.writer(handle, delimiter=kw.pop("delimiter", ","))
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def count(core: Phonelist, model: type[Any]) -> int:
    with core.store.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def pt_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "contactos.csv", PT_HEADERS, PT_ROWS, delimiter=";")


def test_import_maps_headers_validates_and_reports(
    core: Phonelist, actor: Actor, pt_file: Path
) -> None:
    rejects = io.StringIO()
    report = core.imports.run(actor, pt_file, ImportOptions(source="feira"), rejects=rejects)
    c = report.counts
    assert (c.rows, c.imported, c.duplicates_in_file, c.rejected) == (7, 3, 1, 3)
    assert dict(c.rejected_by_reason) == {"invalid_email": 1, "number_too_short": 1, "no_number": 1}
    assert c.by_country == {"PT": 2, "US": 1}
    assert report.mapping["Telemóvel"].startswith("phone")
    people = {tuple(p["names"][1:]): p for p in snapshot(core, actor)}
    ana = people[("Ana", "Lima")]
    assert ana["phones"][0][:3] == ("+351912345678", ana["phones"][0][1], True)
    assert ana["emails"][0][0] == "ana@example.org"
    assert ana["tags"] == ["cliente", "vip"] and ana["source"] == "feira"
    assert ana["place"][2] == "Porto"
    bruno = people[("Bruno", "Sousa")]
    assert [p[0] for p in bruno["phones"]] == ["+351912345679", "+351210000000"]
    assert people[("Fábio", "Gil")]["phones"][0][0] == "+12025550143"
    lines = list(csv.reader(io.StringIO(rejects.getvalue())))
    assert lines[0] == ["row", "column", "value", "reason", "message"]
    assert [(r[0], r[3]) for r in lines[1:]] == [
        ("3", "invalid_email"),
        ("4", "number_too_short"),
        ("5", "no_number"),
    ]
    assert lines[2][2] == "12"
    stored = list(core.imports.rejects(actor, report.job_id or ""))
    assert [(r[0], r[2], r[3]) for r in stored] == [
        (3, "carla@example", "invalid_email"),
        (4, "12", "number_too_short"),
        (5, None, "no_number"),
    ]
    job = core.imports.job(actor, report.job_id or "")
    assert job.status == "done" and job.rows_committed == 7


def test_dry_run_writes_nothing(core: Phonelist, actor: Actor, pt_file: Path) -> None:
    before = count(core, ImportJob), count(core, Contact)
    report = core.imports.run(actor, pt_file, ImportOptions(dry_run=True))
    assert report.job_id is None and report.counts.imported == 3
    assert (count(core, ImportJob), count(core, Contact)) == before


def test_running_again_converges(core: Phonelist, actor: Actor, pt_file: Path) -> None:
    core.imports.run(actor, pt_file, ImportOptions())
    first = snapshot(core, actor)
    again = core.imports.run(actor, pt_file, ImportOptions())
    assert again.counts.imported == 0 and again.counts.duplicates_in_store == 4
    assert snapshot(core, actor) == first


def test_on_duplicate_update_and_replace(core: Phonelist, actor: Actor, tmp_path: Path) -> None:
    first = write_csv(
        tmp_path / "a.csv",
        ["name", "phone", "email", "city", "tags"],
        [["Ana", "+351912345678", "ana@example.org", "Porto", "a"]],
    )
    second = write_csv(
        tmp_path / "b.csv",
        ["name", "phone", "email", "city", "tags"],
        [["Ana Maria", "+351 912 345 678", "am@example.org", "", "b"]],
    )
    core.imports.run(actor, first, ImportOptions())
    updated = core.imports.run(actor, second, ImportOptions(on_duplicate="update"))
    assert updated.counts.updated == 1
    [ana] = snapshot(core, actor)
    assert ana["names"][0] == "Ana Maria" and ana["place"][2] == "Porto"
    assert [e[0] for e in ana["emails"]] == ["ana@example.org", "am@example.org"]
    assert ana["tags"] == ["a", "b"]
    core.imports.run(actor, second, ImportOptions(on_duplicate="replace"))
    [ana] = snapshot(core, actor)
    assert ana["place"][2] is None and [e[0] for e in ana["emails"]] == ["am@example.org"]
    assert ana["tags"] == ["b"]


def test_tags_lists_and_source_for_every_row(core: Phonelist, actor: Actor, pt_file: Path) -> None:
    core.imports.run(actor, pt_file, ImportOptions(tags=("fair",), lists=("2026",), source="stand"))
    for person in snapshot(core, actor):
        assert "fair" in person["tags"] and person["lists"] == ["2026"]
        assert person["source"] == "stand"


def test_import_never_invents_consent(core: Phonelist, actor: Actor, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        ["name", "phone", "consent_at", "consent_text", "consent_ip", "consent_source_url"],
        [
            [
                "A",
                "+351912345678",
                "2026-01-02T10:00:00Z",
                "I agree to texts",
                "203.0.113.9",
                "https://example.org/form",
            ],
            ["B", "+351912345679", "", "", "", ""],
        ],
    )
    report = core.imports.run(actor, path, ImportOptions())
    assert count(core, ConsentRecord) == 0
    assert any("--consent-basis" in w for w in report.warnings)
    path2 = write_csv(
        tmp_path / "c2.csv",
        ["name", "phone", "consent_at", "consent_text", "consent_ip"],
        [
            ["C", "+351912345670", "2026-01-02", "I agree", "203.0.113.9"],
            ["D", "+351912345671", "", "", ""],
        ],
    )
    report = core.imports.run(
        actor, path2, ImportOptions(consent_basis=ConsentBasis.parse("sms:marketing:web_form"))
    )
    assert report.counts.consent_records == 1
    with core.store.read() as session:
        [record] = session.scalars(select(ConsentRecord))
        assert (record.channel, record.purpose, record.method, record.action) == (
            "sms",
            "marketing",
            "web_form",
            "grant",
        )
        assert record.disclosure_text == "I agree" and record.disclosure_hash
        assert record.import_job_id == report.job_id and record.ip_enc is not None
        assert record.occurred_at is not None and record.occurred_at.year == 2026
        assert b"203.0.113.9" not in record.ip_enc


def test_suppress_imports_into_the_do_not_contact_list(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "dnc.csv",
        ["phone"],
        [["+351912345678"], ["+351912345678"], ["+12025550143"], ["nope"]],
    )
    report = core.imports.run(actor, path, ImportOptions(suppress=True, source="complaints"))
    assert report.counts.suppressed == 2 and report.counts.rejected == 1
    assert count(core, Contact) == 0 and count(core, Suppression) == 2
    again = core.imports.run(actor, path, ImportOptions(suppress=True))
    assert again.counts.suppressed == 0 and count(core, Suppression) == 2


def test_create_fields_keeps_unknown_columns(core: Phonelist, actor: Actor, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "f.csv",
        ["phone", "Shoe size", "Data de nascimento"],
        [["+351912345678", "42", "1990-01-02"]],
    )
    report = core.imports.run(actor, path, ImportOptions())
    assert sorted(report.ignored_columns) == ["Data de nascimento", "Shoe size"]
    core.imports.run(actor, path, ImportOptions(create_fields=True, on_duplicate="update"))
    [person] = snapshot(core, actor)
    assert person["custom"] == {"shoe_size": "42", "data_de_nascimento": "1990-01-02"}


def test_explicit_map_and_typed_custom_field(core: Phonelist, actor: Actor, tmp_path: Path) -> None:
    core.fields.define(actor, "size", "number")
    path = write_csv(
        tmp_path / "m.csv", ["Contacto", "Tamanho"], [["912345678", "42"], ["912345679", "big"]]
    )
    report = core.imports.run(
        actor,
        path,
        ImportOptions(region="PT", mapping={"Contacto": "phone", "Tamanho": "custom:size"}),
    )
    assert report.counts.imported == 1 and report.counts.rejected == 1
    assert dict(report.counts.rejected_by_reason) == {"invalid_custom": 1}
    [person] = snapshot(core, actor)
    assert person["custom"] == {"size": 42}


def test_a_file_without_a_phone_column_is_refused(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "x.csv", ["name", "city"], [["A", "B"]])
    with pytest.raises(ValidationError, match="no phone number column"):
        core.imports.run(actor, path, ImportOptions())
    assert count(core, ImportJob) == 0


def test_interrupted_import_resumes_to_the_same_result(
    core: Phonelist, actor: Actor, tmp_path: Path, settings: Any
) -> None:
    rows = [[f"P{i}", f"+35191{i:07d}", f"p{i}@example.org"] for i in range(50)]
    rows += [[f"Dup{i}", f"+351 91 {i:07d}", ""] for i in range(0, 50, 7)]
    path = write_csv(tmp_path / "big.csv", ["name", "phone", "email"], rows)

    class Stop(Exception):
        pass

    def stop_after_two(rows_done: int, total: int | None) -> None:
        assert total == len(rows)
        if rows_done >= 20:
            raise Stop

    with pytest.raises(Stop):
        core.imports.run(actor, path, ImportOptions(batch_size=10), progress=stop_after_two)
    with core.store.read() as session:
        [job] = session.scalars(select(ImportJob))
    assert job.status == "running" and job.rows_committed == 20
    assert count(core, PhoneNumber) == 20
    report = core.imports.run(actor, path, ImportOptions(batch_size=10), resume=job.id)
    assert report.resumed_after_row == 20 and report.counts.rows == len(rows)
    interrupted = snapshot(core, actor)

    with core.store.write() as session:  # start again from an empty store
        session.execute(delete(Contact))
    core.imports.run(actor, path, ImportOptions(batch_size=10))
    assert snapshot(core, actor) == interrupted
    with pytest.raises(ValidationError, match="already complete"):
        core.imports.run(actor, path, ImportOptions(), resume=job.id)
    changed = write_csv(tmp_path / "big.csv", ["name", "phone"], [["X", "+351912345678"]])
    with pytest.raises(ValidationError, match=r"already complete|not the file"):
        core.imports.run(actor, changed, ImportOptions(), resume=job.id)


def test_rejects_in_the_store_are_sealed(core: Phonelist, actor: Actor, pt_file: Path) -> None:
    core.imports.run(actor, pt_file, ImportOptions())
    with core.store.read() as session:
        blobs = [r.raw_enc for r in session.scalars(select(ImportReject)) if r.raw_enc]
    assert blobs and all(b"carla@example" not in b for b in blobs)


# -- preparing rows: the one-search check, and worker processes --------------------------------
_BOUNDARY = "\x00\t\n\r\x1f \x7e\x7f\x85\x9f\xa0\u2028\ud7ff\ud800\udfff\ue000"
_ANY_TEXT = st.text(st.characters(exclude_categories=()) | st.sampled_from(_BOUNDARY), max_size=8)


@given(_ANY_TEXT)
def test_the_one_search_refuses_what_the_api_refuses(text: str) -> None:
    try:
        plain_text(text)
    except ValueError:
        passes = False
    else:
        passes = True
    assert (row_rules._UNSAFE.search(text) is None) == passes
    note_ok = not any(ord(c) < 32 and c not in "\n\r\t" for c in text)
    assert (row_rules._NOTE_CONTROL.search(text) is None) == note_ok


ASSIGNMENTS = {
    "Phone": "phone",
    "Phone label": "phone_label",
    "Work": "phone_2:work",
    "Email": "email",
    "Email label": "email_label",
    "Country": "country",
    "Hint": "region_hint",
    "Name": "display_name",
    "First": "first_name",
    "City": "city",
    "Postcode": "postal_code",
    "Zone": "time_zone",
    "Status": "status",
    "Tags": "tags",
    "Lists": "lists",
    "Source": "source",
    "Note": "note",
    "Size": "custom:size",
    "Channel": "consent_channel",
}
_GOOD = {
    "Phone": ["+351912345678", "912 345 679", " +1 202 555 0143 "],
    "Work": ["", "+351210000000", "+351912345678"],
    "Email": ["", "ana@example.org", "ANA@example.org"],
    "Country": ["", "PT", "US"],
    "Hint": ["", "PT", "us"],
    "Status": ["", "lead", "customer"],
    "Zone": ["", "Europe/Lisbon"],
    "Channel": ["", "sms", "SMS"],
}
_BAD = {
    "Phone": ["12", ""],
    "Work": ["abc"],
    "Email": ["nope", "a@b"],
    "Country": ["pt", "XX"],
    "Hint": ["1"],
    "Status": ["gone"],
    "Zone": ["Mars/Base"],
    "Channel": ["fax"],
}


@st.composite
def import_rows(draw: st.DrawFn) -> dict[str, str]:
    """A good row, then at most two cells spoilt: a bad value, or any characters at all."""
    plain = st.text(alphabet="ab ;,-", max_size=6)
    values = {
        column: draw(st.sampled_from(_GOOD[column]) if column in _GOOD else plain)
        for column in ASSIGNMENTS
    }
    for column in draw(st.lists(st.sampled_from(list(ASSIGNMENTS)), max_size=2)):
        spoilt = _ANY_TEXT | st.sampled_from(_BAD[column]) if column in _BAD else _ANY_TEXT
        values[column] = draw(spoilt)
    return values


def _context(**overrides: Any) -> dict[str, Any]:
    fields = {"size": FieldDefinition("size", "text", None, False)}
    return {
        "explicit_region": None,
        "default_region": "US",
        "statuses": ["lead", "customer"],
        "fields": fields,
        "tags": ("fair",),
        "lists": (),
        "source": None,
    } | overrides


@pytest.mark.parametrize(
    "options",
    [{}, {"tags": ("a\x01",), "lists": ("b\x7f",)}, {"source": "stand", "explicit_region": "PT"}],
    ids=["plain", "bad-own-tags", "own-source"],
)
@settings(max_examples=300, deadline=None)
@given(values=import_rows())
def test_a_row_checked_in_one_search_gets_the_answer_of_a_check_per_value(
    options: dict[str, Any], values: dict[str, str]
) -> None:
    """Every reason and message is the same as when each value is checked on its own."""
    prepare = row_rules.row_preparer(Columns.from_assignments(ASSIGNMENTS), **_context(**options))
    fast = prepare(values)
    with mock.patch.object(row_rules, "_UNSAFE", re.compile("")):  # a match in every row
        assert prepare(values) == fast
