"""Personal data is never stored in clear: scan the raw database files and a pg_dump."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from phonelist import Phonelist, Settings
from phonelist.consent.commands import Grant, RequestOptIn
from phonelist.contacts import AddNote, ContactIn, CreateContact, UpdateContact
from phonelist.contacts.schemas import ContactPatch
from phonelist.imports import ConsentBasis, ImportOptions
from phonelist.security.permissions import Actor

PEOPLE = [
    {
        "display_name": "Zebulon Quarrington",
        "first_name": "Zebulon",
        "last_name": "Quarrington",
        "phones": ["+351 912 345 678", "+1 (202) 555-0143"],
        "emails": ["zebulon.quarrington@example.org"],
        "custom": {"passport": "XQ7788123"},
        "note": "Prefers Thursday calls about Wexfordshire",
    },
    {
        "first_name": "Philippa",
        "last_name": "Grimsdottir",
        "phones": ["+44 7911 123456"],
        "emails": ["pgrimsdottir@example.net"],
    },
]


def secrets_of(people: list[dict[str, object]]) -> list[bytes]:
    """Every form a reader might search for: E.164, national, digits-only, names, emails."""
    forms = {
        "+351912345678",
        "912345678",
        "912 345 678",
        "351912345678",
        "+12025550143",
        "2025550143",
        "(202) 555-0143",
        "12025550143",
        "+447911123456",
        "07911123456",
        "7911123456",
        "447911123456",
        "07911 123456",
        "Zebulon",
        "Quarrington",
        "zebulon.quarrington@example.org",
        "XQ7788123",
        "Wexfordshire",
        "Philippa",
        "Grimsdottir",
        "pgrimsdottir@example.net",
        "Zebulon Quarrington",
        "198.51.100.77",
        "QuarringtonBrowser/9.1",
    }
    encoded = set()
    for form in forms:
        encoded.add(form.encode("utf-8"))
        encoded.add(form.encode("utf-16-le"))
        encoded.add(form.lower().encode("utf-8"))
    return sorted(encoded)


def fill(core: Phonelist, actor: Actor) -> None:
    core.fields.define(actor, "passport", "text", sensitive=True)
    ids = [core.contacts.apply(actor, CreateContact(ContactIn.model_validate(p))) for p in PEOPLE]
    first = ids[0]
    assert first is not None
    core.contacts.apply(actor, AddNote(first.id, "Called Zebulon about Grimsdottir"))
    # An edit writes new ciphertexts; the old ones must not leave clear text behind either.
    core.contacts.apply(
        actor,
        UpdateContact(
            first.id,
            ContactPatch.model_validate({"last_name": "Quarrington", "phones": ["+351912345678"]}),
        ),
    )
    # Consent evidence, inbound replies, suppressions and double opt-in requests are sealed too.
    core.consent.apply(
        actor,
        Grant(
            "+351912345678",
            "sms",
            "marketing",
            "web_form",
            ip="198.51.100.77",
            user_agent="QuarringtonBrowser/9.1",
        ),
    )
    core.inbound.handle(actor, "+351912345678", "Wexfordshire Zebulon says STOP")
    core.suppressions.add(actor, "+447911123456", reason="asked on the phone")
    core.consent.apply(actor, RequestOptIn("+12025550143"))


def hits(blob: bytes, needles: list[bytes]) -> list[bytes]:
    return [n for n in needles if n in blob]


def test_sqlite_files_hold_no_personal_data(
    core: Phonelist, actor: Actor, settings: Settings, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("raw file scan is for SQLite; PostgreSQL is scanned through pg_dump")
    fill(core, actor)
    data = b""
    files = list(Path(settings.data_dir).glob("phonelist.db*"))
    assert any(f.name.endswith("-wal") for f in files), files  # the WAL is scanned too
    for path in files:
        data += path.read_bytes()
    assert len(data) > 10_000
    assert hits(data, secrets_of(PEOPLE)) == []
    # The scan can fail: the same bytes do contain what is stored in clear on purpose.
    assert b"customer" in data or b"lead" in data


def test_pg_dump_holds_no_personal_data(
    core: Phonelist, actor: Actor, settings: Settings, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("pg_dump scan needs PostgreSQL")
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed for this test (Debian package postgresql-client)"
    fill(core, actor)
    url = make_url(settings.resolved_database_url).set(drivername="postgresql")
    dump = subprocess.run(
        [pg_dump, "--no-owner", "--dbname", url.render_as_string(hide_password=False)],
        check=True,
        capture_output=True,
    ).stdout
    assert b"COPY public.contacts" in dump
    assert hits(dump, secrets_of(PEOPLE)) == []


def test_imported_contacts_hold_no_personal_data(
    core: Phonelist, actor: Actor, settings: Settings, backend: str, tmp_path: Path
) -> None:
    """The import's bulk path (executemany / COPY, not the ORM) seals the same fields."""
    if backend != "sqlite":
        pytest.skip("raw file scan is for SQLite")
    source = tmp_path / "people.csv"
    source.write_text(
        "First name,Last name,Mobile,Email,consent_at,consent_ip\n"
        "Zebulon,Quarrington,+351 912 345 678,zebulon.quarrington@example.org,"
        "2026-01-01,203.0.113.77\n"
        "Philippa,Grimsdottir,+44 7911 123456,pgrimsdottir@example.net,,\n"
        "Bad,Row,12,not-an-email-Wexfordshire,,\n",
        encoding="utf-8",
    )
    report = core.imports.run(
        actor, source, ImportOptions(consent_basis=ConsentBasis.parse("sms:marketing:web_form"))
    )
    assert report.counts.imported == 2 and report.counts.rejected == 1
    data = b"".join(p.read_bytes() for p in Path(settings.data_dir).glob("phonelist.db*"))
    needles = [*secrets_of(PEOPLE), b"203.0.113.77", b"not-an-email-Wexfordshire"]
    assert hits(data, needles) == []
