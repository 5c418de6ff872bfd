"""Exporting contacts and importing them into an empty store loses nothing."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from sqlalchemy import delete

from phonelist import Phonelist
from phonelist.contacts.bulk import NewContact, NewPhone
from phonelist.contacts.commands import CreateMany
from phonelist.imports import ImportOptions
from phonelist.numbers.analyze import analyze
from phonelist.security.permissions import Actor
from phonelist.store.models import Contact
from tests.imports.helpers import snapshot

FIRST = ["Ana", "José", "Zoë", "Björn", "O'Neil", "Chloé", "=cmd", "Ñandú", "李", "+Plus"]
LAST = ["Silva", "García-Lima", "Müller", "d'Arc", "Smith, Jr.", "Nováková", '"Q"', "@home"]


def phone(e164: str, label: str | None) -> NewPhone:
    found = analyze(e164)
    return NewPhone(
        e164=e164,
        label=label,
        validity=found.validity,
        number_type=found.number_type,
        region=found.region,
        country_code=found.country_code,
        carrier=found.carrier,
        time_zones=found.time_zones,
    )


def fill(core: Phonelist, actor: Actor, n: int) -> None:
    rng = random.Random(5)
    core.fields.define(actor, "size", "number")
    core.fields.define(actor, "member", "boolean")
    core.fields.define(actor, "born", "date")
    core.fields.define(actor, "tier", "choice", choices=["gold", "silver"])
    core.fields.define(actor, "secret", "text", sensitive=True)
    people = []
    for i in range(n):
        extra = (phone(f"+1202555{i % 10000:04d}", "work"),) if i % 4 == 0 else ()
        custom: dict[str, object] = {}
        if i % 2:
            custom |= {
                "size": rng.choice([1, 2.5, 40]),
                "member": bool(i % 3),
                "tier": rng.choice(["gold", "silver"]),
                "secret": f"s;{i},x",
            }
        if i % 5 == 0:
            custom["born"] = dt.date(1990, 1 + i % 12, 1 + i % 28)
        people.append(
            NewContact(
                phones=(phone(f"+3519{i:08d}", rng.choice([None, "mobile"])), *extra),
                display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}" if i % 3 else None,
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST) if i % 7 else None,
                emails=((f"p{i}@example.org", None),)
                + (((f"w{i}@example.com", "work"),) if i % 6 == 0 else ()),
                country=rng.choice(["PT", "US", None]),
                region=rng.choice(["Porto", None]),
                city=rng.choice(["Vila Nova de Gaia", "São Paulo", None]),
                postal_code=rng.choice(["4400-001", None]),
                time_zone=rng.choice(["Europe/Lisbon", None]),
                status=rng.choice(["lead", "customer", "member"]),
                source=rng.choice(["fair; 2026", None]),
                tags=tuple(rng.sample(["vip", "a,b", "x;y", "ünï"], rng.randrange(3))),
                lists=tuple(rng.sample(["news", "events"], rng.randrange(2))),
                custom=custom,
            )
        )
    for start in range(0, n, 2000):
        core.contacts.apply(actor, CreateMany(tuple(people[start : start + 2000])))


@pytest.mark.parametrize(("fmt", "n"), [("csv", 10_000), ("jsonl", 2_000), ("xlsx", 1_000)])
def test_export_then_import_is_lossless(
    core: Phonelist, actor: Actor, tmp_path: Path, backend: str, fmt: str, n: int
) -> None:
    if backend == "postgres":
        n = min(n, 2_000)  # the 10k proof runs on SQLite; PostgreSQL runs the same code smaller
    fill(core, actor, n)
    before = snapshot(core, actor)
    assert len(before) == n
    path = tmp_path / f"all.{fmt}"
    with path.open("wb") as out:
        rows = core.exports.export(actor, out, fmt)
    assert rows == n
    with core.store.write() as session:
        session.execute(delete(Contact))
    report = core.imports.run(actor, path, ImportOptions())
    assert report.counts.rejected == 0, list(core.imports.rejects(actor, report.job_id or ""))[:3]
    assert report.counts.imported == n
    after = snapshot(core, actor)
    for one, two in zip(before, after, strict=True):
        assert one == two
