"""National registries in the store: US Do Not Call files (D2, D3) and Portugal's list (D5)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from phonelist import Phonelist, ValidationError
from phonelist.consent.commands import Grant
from phonelist.security.permissions import Actor
from phonelist.store.consent_models import RegistryImport, RegistryNumber
from phonelist.suppression.registry import AreaStatus
from tests.consent.support import AT, blocking, codes

DAY = dt.date(2026, 6, 1)  # the registry's own date for the files below (AT is 9 days later)
LISTED = "+12025550143"
ALSO = "+12025550144"
DENVER = "+13035550100"


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def registered(core: Phonelist, actor: Actor, number: str, at: dt.datetime = AT) -> bool:
    check = core.policy.check(actor, number, "sms", "marketing", at)
    return ("D2", "dnc_registered") in blocking(check)


def held(core: Phonelist) -> tuple[int, int]:
    """(registry numbers, import rows): what a failed import must leave as it was."""
    with core.store.read() as session:
        numbers = session.scalar(select(func.count()).select_from(RegistryNumber))
        imports = session.scalar(select(func.count()).select_from(RegistryImport))
    return int(numbers or 0), int(imports or 0)


@pytest.fixture
def loaded(core: Phonelist, actor: Actor, tmp_path: Path) -> None:
    """A full file for 202 (both line layouts) and one for 303."""
    result = core.registries.import_file(
        actor,
        write(tmp_path, "202-full.txt", "2025550143", "202,5550144", "2025550145"),
        registry_date=DAY,
    )
    assert (result.kind, result.area_codes, result.added, result.deleted) == (
        "full",
        ("202",),
        3,
        0,
    )
    core.registries.import_file(actor, write(tmp_path, "303.txt", "3035550100"), registry_date=DAY)


# -- D2 -------------------------------------------------------------------------------------------


def test_D2_a_full_file_registers_its_numbers_for_marketing_only(
    core: Phonelist, actor: Actor, loaded: None
) -> None:
    assert registered(core, actor, LISTED) and registered(core, actor, ALSO)
    assert registered(core, actor, DENVER)
    assert not registered(core, actor, "+12025550199")
    informational = core.policy.check(actor, LISTED, "sms", "informational", AT)
    assert not {"dnc_registered", "registry_stale"} & codes(informational)


def test_D2_written_consent_exempts_a_registered_number(
    core: Phonelist, actor: Actor, loaded: None
) -> None:
    core.consent.add_disclosure(
        actor, "web", "Automated marketing; not a condition of purchase.",
        automated_marketing=True, not_condition_of_purchase=True,
    )  # fmt: skip
    core.consent.apply(
        actor, Grant(LISTED, "sms", "marketing", "web_form", disclosure="web"), now=AT
    )
    check = core.policy.check(actor, LISTED, "sms", "marketing", AT + dt.timedelta(hours=1))
    assert check.decision.allowed and "dnc_exempt_consent" in codes(check)


def test_D2_a_changes_file_adds_and_deletes(
    core: Phonelist, actor: Actor, loaded: None, tmp_path: Path
) -> None:
    path = write(tmp_path, "202-changes.txt", "2025550146,A", "202,5550143,D", "3035550101,add")
    result = core.registries.import_file(
        actor, path, registry_date=DAY + dt.timedelta(days=1), kind="changes"
    )
    assert (result.area_codes, result.added, result.deleted) == (("202", "303"), 2, 1)
    assert not registered(core, actor, LISTED)
    assert registered(core, actor, "+12025550146") and registered(core, actor, "+13035550101")
    assert registered(core, actor, ALSO) and registered(core, actor, DENVER)  # untouched
    counts = {s.area_code: s.numbers for s in core.registries.status(actor, at=AT)}
    assert counts == {"202": 3, "303": 2}


def test_D2_a_changes_file_is_applied_in_its_own_order(
    core: Phonelist, actor: Actor, loaded: None, tmp_path: Path
) -> None:
    lines = [
        "2025550143,D",  # deleted, then registered again: listed
        "2025550143,A",
        "2025550160,A",  # registered, then deleted: not listed
        "2025550160,D",
        "2025550161,A",  # in, out, in again: listed
        "2025550161,D",
        "2025550161,A",
    ]
    path = write(tmp_path, "changes.txt", *lines)
    core.registries.import_file(actor, path, registry_date=DAY, kind="changes")
    assert registered(core, actor, LISTED)
    assert not registered(core, actor, "+12025550160")
    assert registered(core, actor, "+12025550161")


def test_D2_a_full_reimport_replaces_that_area_codes_set(
    core: Phonelist, actor: Actor, loaded: None, tmp_path: Path
) -> None:
    later = DAY + dt.timedelta(days=7)
    result = core.registries.import_file(
        actor, write(tmp_path, "202-full-2.txt", "2025550147"), registry_date=later
    )
    assert (result.added, result.deleted) == (1, 3)
    assert not registered(core, actor, LISTED) and not registered(core, actor, ALSO)
    assert registered(core, actor, "+12025550147")
    assert registered(core, actor, DENVER)  # another area code: left alone
    status = {s.area_code: (s.registry_date, s.numbers) for s in core.registries.status(actor)}
    assert status == {"202": (later, 1), "303": (DAY, 1)}


def test_D2_a_zip_of_area_code_files_imports_each(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "dnc.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("202.txt", "2025550143\n2025550144\n")
        archive.writestr("303.txt", "303,5550100\n")
    result = core.registries.import_file(actor, path, registry_date=DAY)
    assert (result.area_codes, result.added) == (("202", "303"), 3)
    assert registered(core, actor, ALSO) and registered(core, actor, DENVER)


# -- D3 -------------------------------------------------------------------------------------------


def test_D3_status_shows_date_age_and_staleness(
    core: Phonelist, actor: Actor, loaded: None
) -> None:
    def at(days: int) -> dt.datetime:
        return dt.datetime.combine(DAY + dt.timedelta(days=days), dt.time(16), tzinfo=dt.UTC)

    assert core.registries.status(actor, at=at(31)) == [
        AreaStatus("us_dnc", "202", DAY, 31, False, 3),
        AreaStatus("us_dnc", "303", DAY, 31, False, 1),
    ]
    assert [(s.age_days, s.stale) for s in core.registries.status(actor, at=at(32))] == [
        (32, True),
        (32, True),
    ]
    # The policy engine reads the same dates: 32-day-old data blocks marketing (D3).
    unlisted = "+12025550199"
    fresh = core.policy.check(actor, unlisted, "sms", "marketing", at(31))
    stale = core.policy.check(actor, unlisted, "sms", "marketing", at(32))
    assert "registry_stale" not in codes(fresh)
    assert ("D3", "registry_stale") in blocking(stale)
    assert "registry_stale" not in codes(
        core.policy.check(actor, "+14155550100", "sms", "marketing", at(32))
    )  # an area code never imported is not "stale"


# -- one transaction ------------------------------------------------------------------------------


BAD_FILES = [
    ("full", ["2025550150", "2025550151", "202555015"]),  # a digit short, at the end
    ("changes", ["2025550143,D", "2025550152,A", "2025550153,X"]),  # an unknown action
    ("full", ["3035550150", "# a comment is not a number"]),
]


def test_D2_a_bad_line_leaves_the_store_unchanged(
    core: Phonelist, actor: Actor, loaded: None, tmp_path: Path
) -> None:
    before, status = held(core), core.registries.status(actor, at=AT)
    for kind, lines in BAD_FILES:
        with pytest.raises(ValidationError) as caught:
            core.registries.import_file(
                actor, write(tmp_path, "bad.txt", *lines), registry_date=DAY, kind=kind
            )
        assert caught.value.field == "file"
        assert held(core) == before and core.registries.status(actor, at=AT) == status, lines
    assert registered(core, actor, LISTED) and registered(core, actor, DENVER)
    assert not registered(core, actor, "+12025550150")


def test_D2_refuses_a_future_date_an_unknown_registry_and_an_empty_file(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    good = write(tmp_path, "202.txt", "2025550143")
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="future"):
        core.registries.import_file(actor, good, registry_date=tomorrow)
    with pytest.raises(ValidationError) as caught:
        core.registries.import_file(actor, good, registry_date=DAY, registry="fr_bloctel")
    assert caught.value.field == "registry"
    with pytest.raises(ValidationError, match="no numbers"):
        core.registries.import_file(actor, write(tmp_path, "empty.txt", ""), registry_date=DAY)
    assert held(core) == (0, 0)


# -- D5 -------------------------------------------------------------------------------------------

PT_LISTED = "+351912345678"
PT_FREE = "+351912345679"


def test_D5_the_portuguese_opt_out_list_blocks_marketing_to_a_listed_number(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    for number in (PT_LISTED, PT_FREE):
        for purpose in ("marketing", "informational"):
            core.consent.apply(actor, Grant(number, "sms", purpose, "web_form"), now=AT)
    assert core.policy.check(actor, PT_LISTED, "sms", "marketing", AT).decision.allowed
    path = write(tmp_path, "lista-oposicao.txt", "912 345 678", "00351934567890")
    result = core.registries.import_file(actor, path, registry_date=DAY, registry="pt_optout")
    assert (result.registry, result.added, result.area_codes) == ("pt_optout", 2, ("91", "93"))
    check = core.policy.check(actor, PT_LISTED, "sms", "marketing", AT)
    assert ("D5", "national_optout") in blocking(check)
    assert core.policy.check(actor, PT_LISTED, "sms", "informational", AT).decision.allowed
    assert core.policy.check(actor, PT_FREE, "sms", "marketing", AT).decision.allowed
    assert not registered(core, actor, PT_LISTED)  # not the US registry
