"""A number another writer stores while an import runs: the batch is checked again, not lost.

The importer looks up which of a batch's numbers the store holds, then inserts the rest. A
number stored in between by someone else makes the insert fail on the unique index; the
batch must then be rolled back and written again with a fresh look-up, the number counted as
a duplicate in the store, and nothing else changed.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from phonelist import Phonelist
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.bulk import NewContact, NewPhone, create_many
from phonelist.contacts.schemas import validate_input
from phonelist.imports import ImportOptions
from phonelist.imports import batches as batch_module
from phonelist.security.permissions import Actor
from phonelist.store.engine import UniqueViolation

NUMBERS = ["+351912000001", "+351912000002", "+351912000003"]


def test_a_bulk_insert_of_a_stored_number_is_a_unique_violation(
    core: Phonelist, actor: Actor
) -> None:
    core.contacts.apply(actor, CreateContact(validate_input(ContactIn, {"phones": [NUMBERS[0]]})))
    with pytest.raises(UniqueViolation), core.store.write() as session:
        create_many(session, core.keyring, actor, [NewContact((NewPhone(NUMBERS[0]),))])


def test_a_number_stored_meanwhile_is_a_duplicate(
    core: Phonelist, actor: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "people.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone"])
        writer.writerows([[f"Person {n}", number] for n, number in enumerate(NUMBERS)])
    # Stored "meanwhile": the first look-up does not see it.
    core.contacts.apply(actor, CreateContact(validate_input(ContactIn, {"phones": [NUMBERS[1]]})))
    real = batch_module._owners
    calls: list[int] = []

    def stale_then_real(*args: Any) -> dict[bytes, str]:
        calls.append(1)
        return {} if len(calls) == 1 else real(*args)

    monkeypatch.setattr(batch_module, "_owners", stale_then_real)
    report = core.imports.run(actor, source, ImportOptions(region="PT"))
    assert len(calls) == 2  # the batch was written a second time
    counts = report.counts
    assert (counts.imported, counts.duplicates_in_store, counts.rows) == (2, 1, 3)
    stored = {p.e164 for c in core.contacts.page(actor, limit=10).items for p in c.phones}
    assert stored == set(NUMBERS)
