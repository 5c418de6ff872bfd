"""Exports through the core, on SQLite and PostgreSQL: rows, filters, columns, audit, read-back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from phonelist import Phonelist, ValidationError
from phonelist.exports import contact_record
from phonelist.exports import service as export_service
from phonelist.files import open_table
from phonelist.security.permissions import Actor
from tests.exports.helpers import export_events, populate, service

EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "vcard": "vcf", "jsonl": "jsonl"}


def read_back(data: bytes, kind: str, tmp_path: Path) -> tuple[list[str], list[dict[str, str]]]:
    path = tmp_path / f"back.{EXTENSIONS[kind]}"
    path.write_bytes(data)
    with open_table(path) as table:
        return table.columns, [values for _, values in table]


@pytest.mark.parametrize("kind", list(EXTENSIONS))
def test_every_format_reads_back_as_the_contacts_records(
    core: Phonelist, actor: Actor, tmp_path: Path, kind: str
) -> None:
    contacts = populate(core, actor)
    out = io.BytesIO()
    rows = service(core).export(actor, out, kind)
    assert rows == 3
    columns, read = read_back(out.getvalue(), kind, tmp_path)
    expected_columns = service(core).columns(actor)
    if kind in ("csv", "xlsx"):
        assert columns == expected_columns
    for contact, values in zip(contacts, read, strict=True):
        record = contact_record(contact)
        for column in expected_columns:
            want = record.get(column, "")
            if kind == "vcard" and column == "note":  # vCard keeps no carriage return
                want = want.replace("\r\n", "\n")
            assert values.get(column, "") == want, (kind, column)


def test_the_layout_primary_first_and_typed_values(core: Phonelist, actor: Actor) -> None:
    populate(core, actor)
    assert service(core).columns(actor) == [
        "id", "display_name", "first_name", "last_name",
        "phone", "phone_label", "phone_2", "phone_2_label", "phone_3", "phone_3_label",
        "email", "email_label", "email_2", "email_2_label",
        "country", "region", "city", "postal_code", "time_zone",
        "status", "tags", "lists", "source", "note",
        "custom.member", "custom.secret", "custom.since", "custom.size",
    ]  # fmt: skip
    out = io.BytesIO()
    service(core).export(actor, out, "csv")
    header, ana, *_ = csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline=""))
    row = dict(zip(header, ana, strict=True))
    assert row == {
        "id": row["id"],
        "display_name": '\'=Ana "the boss"',
        "first_name": "Ana",
        "last_name": "Lima, Silva",
        "phone": "+351912345678",
        "phone_label": "Telemóvel",
        "phone_2": "+351213000000",
        "phone_2_label": "work",
        "phone_3": "+12025550143",
        "phone_3_label": "",
        "email": "ana@example.org",
        "email_label": "home",
        "email_2": "ana@work.example",
        "email_2_label": "",
        "country": "PT",
        "region": "Porto",
        "city": "Porto",
        "postal_code": "4000-001",
        "time_zone": "Europe/Lisbon",
        "status": "lead",
        "tags": "a\\;b; vip; x\\,y",
        "lists": "Feira 2024",
        "source": "feira",
        "note": "first line\r\nsecond, line",
        "custom.member": "true",
        "custom.secret": "'@cmd",
        "custom.since": "2024-01-02",
        "custom.size": "'-5",
    }


def test_filters_columns_and_national_numbers(core: Phonelist, actor: Actor) -> None:
    populate(core, actor)
    out = io.BytesIO()
    rows = service(core).export(
        actor, out, "jsonl", columns=["first_name", "phone", "custom.size"],
        number_format="national", tag="vip",
    )  # fmt: skip
    assert rows == 2
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [
        {
            "first_name": "Ana",
            "phones": [{"number": "912 345 678", "primary": True}],
            "custom": {"size": -5},
        },
        {"first_name": "Bruno", "phones": [{"number": "911 111 111", "primary": True}],
         "custom": {}},
    ]  # fmt: skip
    for options, expected in (
        ({"status": "customer"}, 1),
        ({"list_name": "Feira 2024"}, 1),
        ({"tag": "nobody"}, 0),
    ):
        assert service(core).export(actor, io.BytesIO(), "csv", **options) == expected  # type: ignore[arg-type]


def test_paging_and_progress(
    core: Phonelist, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(core, actor)
    monkeypatch.setattr(export_service, "MAX_PAGE", 2)
    seen: list[int] = []
    out = io.BytesIO()
    assert service(core).export(actor, out, "csv", progress=seen.append) == 3
    assert seen == [2, 3]
    assert len(list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))) == 4


def test_every_export_is_audited_without_personal_data(core: Phonelist, actor: Actor) -> None:
    populate(core, actor)
    service(core).export(actor, io.BytesIO(), "xlsx", tag="vip", columns=["phone", "email"])
    [event] = export_events(core)
    assert (event.actor, event.subject_type, event.subject_id) == (actor.label, "contacts", None)
    assert event.detail == {
        "format": "xlsx",
        "numbers": "e164",
        "columns": ["phone", "email"],
        "filters": {"tag": "vip"},
        "rows": 2,
        "complete": True,
    }
    text = json.dumps(event.detail)
    assert "Ana" not in text and "+351" not in text and "example" not in text


def test_a_failed_export_is_audited_as_incomplete(core: Phonelist, actor: Actor) -> None:
    populate(core, actor)

    class Full(io.BytesIO):
        def write(self, data: object) -> int:
            if self.tell() > 300:
                raise OSError(28, "No space left on device")
            return super().write(data)  # type: ignore[arg-type]

    with pytest.raises(OSError):
        service(core).export(actor, Full(), "jsonl")
    [event] = export_events(core)
    assert event.detail["complete"] is False and event.detail["rows"] < 3


@pytest.mark.parametrize(
    ("options", "field", "code", "message"),
    [
        ({"format": "pdf"}, "format", "export_bad_format", "format must be one of csv, xlsx, "
         "vcard, jsonl"),
        ({"number_format": "intl"}, "numbers", "export_bad_numbers",
         "numbers must be one of e164, national"),
        ({"columns": ["phone", "shoe"]}, "columns", "export_bad_columns", None),
        ({"columns": ["custom.nope"]}, "columns", "export_bad_columns", None),
        ({"columns": ["region_hint"]}, "columns", "export_bad_columns", None),
        ({"columns": [""]}, "columns", "export_bad_columns",
         "columns: name at least one column, separated by commas"),
        ({"tag": ""}, "tag", "invalid", "tag must have 1 to 100 characters"),
    ],
)  # fmt: skip
def test_bad_options_are_refused_before_anything_is_written(
    core: Phonelist, actor: Actor, options: dict[str, object], field: str, code: str,
    message: str | None,
) -> None:  # fmt: skip
    populate(core, actor)
    out = io.BytesIO()
    given = dict(options)
    kind = str(given.pop("format", "csv"))
    with pytest.raises(ValidationError) as caught:
        service(core).export(actor, out, kind, **given)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.code) == (field, code)
    if message is not None:
        assert caught.value.message == message
    assert out.getvalue() == b"" and export_events(core) == []


def test_unknown_column_message_lists_the_columns(core: Phonelist, actor: Actor) -> None:
    populate(core, actor)
    with pytest.raises(ValidationError) as caught:
        service(core).export(actor, io.BytesIO(), "csv", columns=["shoe"])
    assert caught.value.message.startswith(
        "columns: unknown column 'shoe'; the columns are id, display_name, first_name, "
    )
    assert caught.value.message.endswith("custom.size, created_at, updated_at")


def test_an_empty_store_exports_a_header(core: Phonelist, actor: Actor) -> None:
    out = io.BytesIO()
    assert service(core).export(actor, out, "csv") == 0
    assert out.getvalue().decode("utf-8-sig") == (
        "id,display_name,first_name,last_name,phone,phone_label,email,email_label,country,"
        "region,city,postal_code,time_zone,status,tags,lists,source,note\r\n"
    )
    assert export_events(core)[0].detail["rows"] == 0


def test_times_are_exported_when_asked(core: Phonelist, actor: Actor) -> None:
    [ana, *_] = populate(core, actor)
    out = io.BytesIO()
    service(core).export(actor, out, "csv", columns=["id", "created_at", "updated_at"])
    line = out.getvalue().decode("utf-8-sig").split("\r\n")[1]
    assert line == f"{ana.id},{ana.created_at.isoformat()},{ana.updated_at.isoformat()}"
