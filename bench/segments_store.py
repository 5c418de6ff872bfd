"""A seeded, realistic contact store for the segment benchmarks, cached per (size, seed, backend).

    from bench.segments_store import AT, build
    settings = build(None, 1_000_000, seed=7)  # SQLite under the temp dir, instant when cached
    settings = build(None, 1_000_000, 7, "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

Contacts over 15 countries (US 35%, PT 12%, BR 10%, ...) with regions, cities, postal codes and
time zones shaped per country; statuses, sources and dates over the two years before ``AT``; one
primary number each (8% also a second one) with realistic per-country E.164 numbers; 30 tags of
zipf-like popularity ("newsletter" 40%, "vip" 5%), 12 lists, five custom fields; consent states,
suppressions and messages of the primary number; name tokens for everyone and emails for half.
Personal fields are sealed with the store's keyring and blind-indexed, like the app does.

For PostgreSQL the given URL only names the server: the store goes into its own database
``phonelist_segbench_<count>_<seed>``, created on first use and reused while it holds ``count``
contacts. Its keys live in a data directory beside the SQLite caches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sys
import tempfile
import time
import unicodedata
from bisect import bisect
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.engine import make_url

from phonelist import Phonelist, load_settings
from phonelist.bootstrap import initialize
from phonelist.config import Settings
from phonelist.contacts.codec import email_index, name_tokens, phone_index
from phonelist.ids import new_id
from phonelist.security.crypto import Keyring
from phonelist.store.consent_models import ConsentState, Message
from phonelist.store.models import (
    Contact,
    ContactList,
    ContactTag,
    CustomField,
    CustomValue,
    Email,
    ListMember,
    NameToken,
    PhoneNumber,
    Suppression,
    Tag,
    Workspace,
)

__all__ = ["AT", "LISTS", "STATUSES", "TAGS", "build", "default_data_dir"]

AT = dt.datetime(2026, 6, 10, 16, 0, tzinfo=dt.UTC)  # "now" of every query; a Wednesday
BATCH = 20_000
MARKER = "segbench.json"
STATUSES = {"lead": 50, "customer": 30, "prospect": 12, "former": 8}
SOURCES = {"import": 40, "web_form": 30, "manual": 10, "api": 10, "referral": 5, "event": 5}
# Independent inclusion probabilities, zipf-like; a contact keeps at most 4 of its draws.
TAGS = {
    "newsletter": 0.40, "promo": 0.22, "webinar": 0.15, "trial": 0.12, "event-2025": 0.10,
    "referral": 0.085, "app-user": 0.07, "vip": 0.05, "partner": 0.045, "wholesale": 0.04,
    "black-friday": 0.035, "survey": 0.03, "beta": 0.028, "churn-risk": 0.025, "upsell": 0.022,
    "support": 0.02, "loyalty": 0.018, "reseller": 0.016, "influencer": 0.014, "press": 0.012,
    "investor": 0.011, "student": 0.010, "nonprofit": 0.009, "gov": 0.008, "spam": 0.007,
    "duplicate": 0.006, "bounced": 0.006, "test": 0.005, "staff": 0.004, "no-calls": 0.003,
}  # fmt: skip
LISTS = {
    "Spring launch": 20, "Lisbon event": 14, "Q1 webinar": 12, "Black Friday 2025": 10,
    "Customers 2024": 9, "Beta testers": 8, "Re-engagement": 7, "Trade show": 6, "Partners": 5,
    "Holiday promo": 4, "Newsletter A/B": 3, "Import 2025-03": 2,
}  # fmt: skip
FIELDS = {  # name: (type, choices, share of contacts with a value)
    "plan": ("choice", ["free", "basic", "pro", "enterprise"], 0.70),
    "score": ("number", None, 0.50),
    "birthday": ("date", None, 0.30),
    "vip": ("boolean", None, 0.40),
    "company": ("text", None, 0.45),
}
PLAN_WEIGHTS = [50, 25, 18, 7]


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


COMPANIES = _names(
    "Acme|Globex|Initech|Umbrella|Hooli|Stark Industries|Wayne Enterprises|Vandelay|"
    "Soylent|Tyrell|Cyberdyne|Wonka|Massive Dynamic|Pied Piper|Aperture|Oscorp"
)
FIRST = _names(
    "James|Mary|John|Patricia|Robert|Jennifer|Michael|Linda|David|Sarah|João|Maria|Ana|"
    "Pedro|Tiago|Inês|Beatriz|Rui|Carlos|Lucía|Javier|Sofía|Pablo|Camille|Lucas|Léa|Hugo|"
    "Emma|Lukas|Anna|Jonas|Lena|Priya|Arjun|Ravi|Giulia|Marco|Sven|Chloé|Gonçalo"
)
LAST = _names(
    "Smith|Johnson|Williams|Brown|Jones|Garcia|Miller|Davis|Silva|Santos|Ferreira|"
    "Pereira|Oliveira|Costa|Rodrigues|Martins|Sousa|Fernández|López|Martínez|Sánchez|"
    "Martin|Bernard|Dubois|Müller|Schmidt|Schneider|Fischer|Patel|Sharma|Singh|Rossi|"
    "Russo|Bianchi|de Vries|Jansen|O'Brien|Murphy|Nkosi|Tremblay"
)
DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "example.org", "mail.pt"]


class Region(NamedTuple):
    code: str
    weight: float
    tz: str
    postal: str  # leading characters of the region's postal codes
    cities: tuple[str, ...]
    areas: tuple[str, ...] = ()  # NANP area codes or Brazilian DDDs, which lead the number


class Country(NamedTuple):
    weight: float
    cc: str
    postal: str  # shape: '#' a digit, 'A' a letter, anything else as is
    carriers: tuple[str, ...]
    mobile: tuple[int, tuple[str, ...]]  # national length, prefixes
    fixed: tuple[int, tuple[str, ...]]
    regions: tuple[Region, ...]


def _r(code: str, weight: float, tz: str, postal: str, cities: str, areas: str = "") -> Region:
    return Region(code, weight, tz, postal, tuple(cities.split("|")), tuple(areas.split()))


NY, CHI, LA = "America/New_York", "America/Chicago", "America/Los_Angeles"
COUNTRIES: dict[str, Country] = {
    "US": Country(35, "1", "#####", ("Verizon", "AT&T", "T-Mobile"), (10, ("",)), (10, ("",)), (
        _r("CA", 12, LA, "9", "Los Angeles|San Francisco|San Diego|San Jose", "213 415 619 408"),
        _r("TX", 9, CHI, "7", "Houston|Dallas|Austin|San Antonio", "713 214 512 210"),
        _r("FL", 7, NY, "3", "Miami|Orlando|Tampa|Jacksonville", "305 407 813 904"),
        _r("NY", 6, NY, "1", "New York|Buffalo|Rochester", "212 718 716 585"),
        _r("PA", 4, NY, "1", "Philadelphia|Pittsburgh", "215 412"),
        _r("IL", 4, CHI, "6", "Chicago|Springfield", "312 217"),
        _r("OH", 3.5, NY, "4", "Columbus|Cleveland|Cincinnati", "614 216 513"),
        _r("GA", 3.3, NY, "3", "Atlanta|Savannah", "404 912"),
        _r("NC", 3.2, NY, "2", "Charlotte|Raleigh", "704 919"),
        _r("MI", 3, "America/Detroit", "4", "Detroit|Grand Rapids", "313 616"),
        _r("NJ", 2.8, NY, "0", "Newark|Jersey City", "973 201"),
        _r("VA", 2.6, NY, "2", "Virginia Beach|Richmond", "757 804"),
        _r("WA", 2.3, LA, "9", "Seattle|Spokane", "206 509"),
        _r("AZ", 2.2, "America/Phoenix", "8", "Phoenix|Tucson", "602 520"),
        _r("MA", 2.1, NY, "0", "Boston|Worcester", "617 508"),
        _r("TN", 2.1, CHI, "3", "Nashville|Memphis", "615 901"),
        _r("CO", 1.8, "America/Denver", "8", "Denver|Colorado Springs", "303 719"),
        _r("MD", 1.8, NY, "2", "Baltimore|Annapolis", "410 301"),
        _r("MN", 1.7, CHI, "5", "Minneapolis|Saint Paul", "612 651"),
        _r("OR", 1.3, LA, "9", "Portland|Eugene", "503 541"),
    )),
    "PT": Country(12, "351", "####-###", ("MEO", "NOS", "Vodafone"), (9, ("91", "92", "93", "96")), (9, ("21", "22", "253")), (  # noqa: E501
        _r("Lisboa", 40, "Europe/Lisbon", "1", "Lisboa|Sintra|Cascais|Amadora"),
        _r("Porto", 25, "Europe/Lisbon", "4", "Porto|Vila Nova de Gaia|Matosinhos"),
        _r("Braga", 10, "Europe/Lisbon", "47", "Braga|Guimarães"),
        _r("Setúbal", 10, "Europe/Lisbon", "29", "Setúbal|Almada"),
        _r("Faro", 8, "Europe/Lisbon", "8", "Faro|Lagos|Albufeira"),
    )),
    "BR": Country(10, "55", "#####-###", ("Vivo", "Claro", "TIM"), (11, ("9",)), (10, ("3",)), (
        _r("SP", 45, "America/Sao_Paulo", "0", "São Paulo|Campinas|Santos", "11 19 13"),
        _r("RJ", 20, "America/Sao_Paulo", "2", "Rio de Janeiro|Niterói", "21"),
        _r("MG", 15, "America/Sao_Paulo", "3", "Belo Horizonte|Uberlândia", "31 34"),
        _r("BA", 10, "America/Bahia", "4", "Salvador|Feira de Santana", "71 75"),
        _r("RS", 10, "America/Sao_Paulo", "9", "Porto Alegre|Caxias do Sul", "51 54"),
    )),
    "ES": Country(8, "34", "#####", ("Movistar", "Vodafone", "Orange"), (9, ("6", "7")), (9, ("91", "93", "95")), (  # noqa: E501
        _r("Madrid", 35, "Europe/Madrid", "28", "Madrid|Alcalá de Henares"),
        _r("Cataluña", 30, "Europe/Madrid", "08", "Barcelona|Girona"),
        _r("Andalucía", 20, "Europe/Madrid", "41", "Sevilla|Málaga|Granada"),
        _r("Valencia", 15, "Europe/Madrid", "46", "Valencia|Alicante"),
    )),
    "GB": Country(7, "44", "AA# #AA", ("EE", "Vodafone", "O2", "Three"), (10, ("74", "75", "77", "78", "79")), (10, ("20", "161", "121")), (  # noqa: E501
        _r("England", 85, "Europe/London", "", "London|Manchester|Birmingham|Leeds"),
        _r("Scotland", 8, "Europe/London", "", "Glasgow|Edinburgh"),
        _r("Wales", 5, "Europe/London", "", "Cardiff|Swansea"),
        _r("Northern Ireland", 2, "Europe/London", "BT", "Belfast"),
    )),
    "FR": Country(6, "33", "#####", ("Orange", "SFR", "Bouygues Telecom", "Free"), (9, ("6", "7")), (9, ("1", "4", "5")), (  # noqa: E501
        _r("Île-de-France", 40, "Europe/Paris", "75", "Paris|Boulogne-Billancourt"),
        _r("Auvergne-Rhône-Alpes", 22, "Europe/Paris", "69", "Lyon|Grenoble"),
        _r("Provence-Alpes-Côte d'Azur", 20, "Europe/Paris", "13", "Marseille|Nice"),
        _r("Occitanie", 18, "Europe/Paris", "31", "Toulouse|Montpellier"),
    )),
    "DE": Country(6, "49", "#####", ("Telekom", "Vodafone", "O2"), (11, ("151", "160", "170", "176")), (10, ("30", "89", "40")), (  # noqa: E501
        _r("Bayern", 30, "Europe/Berlin", "8", "München|Nürnberg"),
        _r("Berlin", 20, "Europe/Berlin", "1", "Berlin"),
        _r("Hamburg", 15, "Europe/Berlin", "2", "Hamburg"),
        _r("Nordrhein-Westfalen", 35, "Europe/Berlin", "5", "Köln|Düsseldorf|Dortmund"),
    )),
    "MX": Country(4, "52", "#####", ("Telcel", "AT&T", "Movistar"), (10, ("55", "33", "81")), (10, ("55", "33", "81")), (  # noqa: E501
        _r("CDMX", 50, "America/Mexico_City", "0", "Ciudad de México"),
        _r("Jalisco", 30, "America/Mexico_City", "44", "Guadalajara|Zapopan"),
        _r("Nuevo León", 20, "America/Monterrey", "64", "Monterrey"),
    )),
    "IN": Country(3, "91", "######", ("Jio", "Airtel", "Vi"), (10, ("9", "8", "7")), (10, ("11", "22", "80")), (  # noqa: E501
        _r("Maharashtra", 40, "Asia/Kolkata", "4", "Mumbai|Pune"),
        _r("Karnataka", 30, "Asia/Kolkata", "5", "Bengaluru|Mysuru"),
        _r("Delhi", 30, "Asia/Kolkata", "11", "New Delhi"),
    )),
    "CA": Country(3, "1", "A#A #A#", ("Rogers", "Bell", "Telus"), (10, ("",)), (10, ("",)), (
        _r("ON", 40, "America/Toronto", "M", "Toronto|Ottawa", "416 613"),
        _r("QC", 25, "America/Toronto", "H", "Montréal|Québec", "514 418"),
        _r("BC", 20, "America/Vancouver", "V", "Vancouver|Victoria", "604 250"),
        _r("AB", 15, "America/Edmonton", "T", "Calgary|Edmonton", "403 780"),
    )),
    "IT": Country(2, "39", "#####", ("TIM", "Vodafone", "WindTre"), (10, ("32", "33", "34", "39")), (10, ("06", "02", "081")), (  # noqa: E501
        _r("Lazio", 35, "Europe/Rome", "00", "Roma"),
        _r("Lombardia", 45, "Europe/Rome", "20", "Milano|Bergamo"),
        _r("Campania", 20, "Europe/Rome", "80", "Napoli"),
    )),
    "NL": Country(1, "31", "#### AA", ("KPN", "Vodafone", "Odido"), (9, ("6",)), (9, ("20", "10", "30")), (  # noqa: E501
        _r("Noord-Holland", 45, "Europe/Amsterdam", "1", "Amsterdam|Haarlem"),
        _r("Zuid-Holland", 35, "Europe/Amsterdam", "2", "Rotterdam|Den Haag"),
        _r("Utrecht", 20, "Europe/Amsterdam", "3", "Utrecht"),
    )),
    "AU": Country(1.2, "61", "####", ("Telstra", "Optus", "Vodafone"), (9, ("4",)), (9, ("2", "3", "7")), (  # noqa: E501
        _r("NSW", 45, "Australia/Sydney", "2", "Sydney|Newcastle"),
        _r("VIC", 35, "Australia/Melbourne", "3", "Melbourne|Geelong"),
        _r("QLD", 20, "Australia/Brisbane", "4", "Brisbane|Gold Coast"),
    )),
    "IE": Country(1.0, "353", "A## A#A#", ("Vodafone", "Three", "Eir"), (9, ("83", "85", "86", "87")), (8, ("1",)), (  # noqa: E501
        _r("Dublin", 70, "Europe/Dublin", "D", "Dublin"),
        _r("Cork", 30, "Europe/Dublin", "T", "Cork"),
    )),
    "ZA": Country(0.8, "27", "####", ("Vodacom", "MTN", "Cell C"), (9, ("60", "71", "72", "82")), (9, ("11", "21")), (  # noqa: E501
        _r("Gauteng", 60, "Africa/Johannesburg", "2", "Johannesburg|Pretoria"),
        _r("Western Cape", 40, "Africa/Johannesburg", "7", "Cape Town|Stellenbosch"),
    )),
}  # fmt: skip


class Picker:
    """A weighted choice by bisection over cumulative weights (cheaper than ``rng.choices``)."""

    def __init__(self, weights: dict[Any, float]) -> None:
        self.items = list(weights)
        self.cumulative = list(accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


def default_data_dir(count: int, seed: int, postgres: bool = False) -> Path:
    kind = "pg" if postgres else "sqlite"
    return Path(tempfile.gettempdir()) / f"phonelist-segbench-{kind}-{count}-{seed}"


def build(
    data_dir: Path | None, count: int, seed: int, database_url: str | None = None
) -> Settings:
    """Settings of a store of ``count`` seeded contacts, building it unless already cached.

    ``database_url`` (PostgreSQL) names only the server; see the module docstring. A cache
    without its completion marker (an interrupted build) is thrown away and built again.
    """
    if count > 4_000_000:
        raise ValueError("numbers stay unique up to 4,000,000 contacts")
    url = None
    if database_url:
        url = _bench_database_url(database_url, count, seed)
    data_dir = data_dir or default_data_dir(count, seed, postgres=url is not None)
    settings = load_settings(data_dir=data_dir, database_url=url)
    marker = data_dir / MARKER
    if marker.exists() and _contacts(settings) == count:
        return settings
    if data_dir.exists():
        shutil.rmtree(data_dir)
    if database_url:
        _recreate_database(database_url, count, seed)
    print(f"building a store of {count:,} contacts in {data_dir}")
    started = time.perf_counter()
    initialize(settings, owner_password="bench password 1234")
    with Phonelist.open(settings) as core:
        _fill(core, count, seed)
    _finish(settings)
    took = time.perf_counter() - started
    marker.write_text(json.dumps({"count": count, "seed": seed, "build_seconds": round(took)}))
    print(f"  store built in {took:.0f} s")
    return settings


def _bench_database_url(server_url: str, count: int, seed: int) -> str:
    url = make_url(server_url).set(database=f"phonelist_segbench_{count}_{seed}")
    return url.render_as_string(hide_password=False)


def _recreate_database(server_url: str, count: int, seed: int) -> None:
    name = f"phonelist_segbench_{count}_{seed}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def _contacts(settings: Settings) -> int:
    engine = create_engine(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Contact.__table__)) or 0)
    except Exception:  # no database or no schema yet: build it
        return -1
    finally:
        engine.dispose()


def _finish(settings: Settings) -> None:
    """Checkpoint SQLite's WAL; vacuum and analyse PostgreSQL, as autovacuum soon would.

    SQLite is left without ANALYZE: the app does not run it (segments_sql.py measures both).
    """
    engine = create_engine(settings.resolved_database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if settings.is_sqlite:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _fill(core: Phonelist, count: int, seed: int) -> None:
    rng = random.Random(seed)
    store, keyring = core.store, core.keyring
    with store.write() as session:
        session.execute(update(Workspace).where(Workspace.id == 1).values(statuses=list(STATUSES)))
        now = AT - dt.timedelta(days=800)
        session.execute(insert(Tag), [{"workspace_id": 1, "name": n} for n in TAGS])
        session.execute(
            insert(ContactList),
            [{"workspace_id": 1, "name": n, "created_at": now} for n in LISTS],
        )
        session.execute(
            insert(CustomField),
            [
                {"workspace_id": 1, "name": n, "type": t, "choices": c, "sensitive": False,
                 "created_at": now}
                for n, (t, c, _) in FIELDS.items()
            ],
        )  # fmt: skip
        tag_ids = dict(session.execute(select(Tag.name, Tag.id)).all())
        list_ids = dict(session.execute(select(ContactList.name, ContactList.id)).all())
        field_ids = dict(session.execute(select(CustomField.name, CustomField.id)).all())
    maker = _Maker(rng, keyring, tag_ids, list_ids, field_ids)
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        rows = maker.batch(start, min(count, start + BATCH))
        with store.write() as session:
            for model, items in rows.items():
                if items:  # Core, not ORM, inserts: one executemany per table
                    session.execute(insert(model.__table__), items)
        done = min(count, start + BATCH)
        rate = done / (time.perf_counter() - started)
        print(f"  built {done:,} contacts ({rate:,.0f}/s)", end="\r", flush=True)
    print()


class _Maker:
    """Makes the rows of a range of contacts; every draw comes from one seeded generator."""

    def __init__(
        self,
        rng: random.Random,
        keyring: Keyring,
        tag_ids: dict[str, int],
        list_ids: dict[str, int],
        field_ids: dict[str, int],
    ) -> None:
        self.rng, self.keyring = rng, keyring
        self.country = Picker({code: c.weight for code, c in COUNTRIES.items()})
        self.regions = {
            code: Picker({r: r.weight for r in c.regions}) for code, c in COUNTRIES.items()
        }
        self.status, self.source = Picker(STATUSES), Picker(SOURCES)
        self.tags = [(tag_ids[name], p) for name, p in TAGS.items()]
        self.list = Picker({list_ids[name]: w for name, w in LISTS.items()})
        self.fields = field_ids

    def batch(self, start: int, stop: int) -> dict[type, list[dict[str, Any]]]:
        rows: dict[type, list[dict[str, Any]]] = {
            m: []
            for m in (
                Contact,
                PhoneNumber,
                ContactTag,
                ListMember,
                CustomValue,
                ConsentState,
                Suppression,
                Message,
                NameToken,
                Email,
            )
        }
        for n in range(start, stop):
            self.contact(n, rows)
        return rows

    def contact(self, n: int, rows: dict[type, list[dict[str, Any]]]) -> None:
        rng, keyring = self.rng, self.keyring
        code = self.country(rng)
        country = COUNTRIES[code]
        region: Region = self.regions[code](rng)
        created = AT - dt.timedelta(seconds=730 * 86_400 * rng.random() ** 1.3)  # recent-heavy
        age = (AT - created).total_seconds()
        status = self.status(rng)
        cid = new_id()
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if rng.random() < 0.3:
            last = f"{last} {rng.choice(LAST)}"
        if rng.random() < 0.05:
            last = ""
        seal = keyring.encrypt
        contacted = None
        if rng.random() < 0.5:
            contacted = AT - dt.timedelta(seconds=min(age, 365 * 86_400) * rng.random())
        purchased = None
        if rng.random() < {"customer": 0.8, "former": 0.6}.get(status, 0.05):
            purchased = AT - dt.timedelta(seconds=age * rng.random())
        contact = {
            "id": cid,
            "workspace_id": 1,
            "first_name_enc": seal(first, table="contacts", column="first_name", row_id=cid),
            "last_name_enc": seal(last, table="contacts", column="last_name", row_id=cid)
            if last
            else None,
            "country": code,
            "region": None if rng.random() < 0.08 else region.code,
            "city": None if rng.random() < 0.10 else rng.choice(region.cities),
            "postal_code": None if rng.random() < 0.15 else self.postal(country, region),
            "time_zone": None if rng.random() < 0.05 else region.tz,
            "status": status,
            "source": self.source(rng),
            "created_at": created,
            "updated_at": created + dt.timedelta(seconds=age * rng.random()),
            "last_contacted_at": contacted,
            "last_purchase_at": purchased,
            "legal_person": False,
        }
        if contact["region"] is None:
            contact["city"] = None
        rows[Contact].append(contact)
        for token in name_tokens(keyring, first, last):
            rows[NameToken].append({"contact_id": cid, "token_index": token, "workspace_id": 1})
        if rng.random() < 0.5:
            self.email(cid, n, first, last, rows)
        index = self.phone(cid, n, code, country, region, 0, rows)
        if rng.random() < 0.08:
            self.phone(cid, n, code, country, region, 1, rows)
        self.links(cid, created, age, rows)
        self.custom(cid, rows)
        self.consent(index, created, rows)
        self.messages(index, n, country, rows)

    def postal(self, country: Country, region: Region) -> str:
        rng, shape = self.rng, country.postal
        chars = [
            str(rng.randrange(10)) if c == "#" else chr(65 + rng.randrange(26)) if c == "A" else c
            for c in shape
        ]
        lead = region.postal[: sum(c in "#A" for c in shape)]
        slots = [i for i, c in enumerate(shape) if c in "#A"]
        for i, ch in zip(slots, lead, strict=False):
            chars[i] = ch
        return "".join(chars)

    def e164(self, n: int, country: Country, region: Region, second: int, mobile: bool) -> str:
        """Unique per country: the last seven digits are a function of (n, second) only."""
        rng = self.rng
        length, prefixes = country.mobile if mobile else country.fixed
        prefix = rng.choice(region.areas or ("",)) + rng.choice(prefixes)
        tail = f"{2 + 2 * (n // 1_000_000) + second}{n % 1_000_000:06d}"
        filler = "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 7))
        return f"+{country.cc}{prefix}{filler}{tail}"

    def phone(
        self,
        cid: str,
        n: int,
        code: str,
        country: Country,
        region: Region,
        second: int,
        rows: dict[type, list[dict[str, Any]]],
    ) -> bytes:
        rng, keyring = self.rng, self.keyring
        roll = rng.random()
        if country.cc == "1":
            kind = "fixed_line_or_mobile" if roll < 0.7 else "mobile" if roll < 0.9 else "voip"
        else:
            kind = "mobile" if roll < 0.82 else "fixed_line" if roll < 0.96 else "voip"
        e164 = self.e164(n, country, region, second, kind != "fixed_line")
        pid = new_id()
        index = phone_index(keyring, e164)
        rows[PhoneNumber].append(
            {
                "id": pid,
                "contact_id": cid,
                "workspace_id": 1,
                "e164_enc": keyring.encrypt(e164, table="phone_numbers", column="e164", row_id=pid),
                "e164_index": index,
                "label": None if second == 0 else rng.choice(["work", "home"]),
                "is_primary": second == 0,
                "position": second,
                "validity": "valid",
                "number_type": kind,
                "region": code,
                "country_code": int(country.cc),
                "carrier": None if rng.random() < 0.3 else rng.choice(country.carriers),
                "time_zones": [region.tz],
                "area_code": e164[2:5] if country.cc == "1" else None,
                "analyzed_at": AT - dt.timedelta(days=1),
            }
        )  # fmt: skip
        return index

    def email(
        self, cid: str, n: int, first: str, last: str, rows: dict[type, list[dict[str, Any]]]
    ) -> None:
        local = f"{first}.{last.split(' ')[0]}{n % 1000}" if last else f"{first}{n}"
        folded = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
        address = folded.replace("'", "").lower() + "@" + self.rng.choice(DOMAINS)
        eid = new_id()
        rows[Email].append(
            {
                "id": eid,
                "contact_id": cid,
                "workspace_id": 1,
                "email_enc": self.keyring.encrypt(address, table="emails", column="email", row_id=eid),  # noqa: E501
                "email_index": email_index(self.keyring, address),
                "label": None,
                "is_primary": True,
                "position": 0,
            }
        )  # fmt: skip

    def links(
        self, cid: str, created: dt.datetime, age: float, rows: dict[type, list[dict[str, Any]]]
    ) -> None:
        rng = self.rng
        tags = [tag for tag, p in self.tags if rng.random() < p]
        if len(tags) > 4:
            tags = rng.sample(tags, 4)
        rows[ContactTag] += [{"contact_id": cid, "tag_id": tag} for tag in tags]
        roll = rng.random()
        wanted = 0 if roll < 0.5 else 1 if roll < 0.85 else 2
        for list_id in {self.list(rng) for _ in range(wanted)}:
            added = created + dt.timedelta(seconds=age * rng.random())
            rows[ListMember].append({"list_id": list_id, "contact_id": cid, "added_at": added})

    def custom(self, cid: str, rows: dict[type, list[dict[str, Any]]]) -> None:
        rng, ids, out = self.rng, self.fields, rows[CustomValue]
        values: dict[str, Any] = {}
        if rng.random() < FIELDS["plan"][2]:
            values["plan"] = rng.choices(["free", "basic", "pro", "enterprise"], PLAN_WEIGHTS)[0]
        if rng.random() < FIELDS["score"][2]:
            values["score"] = float(rng.randint(0, 100))
        if rng.random() < FIELDS["birthday"][2]:
            values["birthday"] = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20_000))
        if rng.random() < FIELDS["vip"][2]:
            values["vip"] = rng.random() < 0.15
        if rng.random() < FIELDS["company"][2]:
            values["company"] = rng.choice(COMPANIES)
        for name, value in values.items():
            kind = FIELDS[name][0]
            out.append(
                {
                    "contact_id": cid,
                    "field_id": ids[name],
                    "value_text": value if kind in ("choice", "text") else None,
                    "value_number": value if kind == "number" else None,
                    "value_date": value if kind == "date" else None,
                    "value_bool": value if kind == "boolean" else None,
                    "value_enc": None,
                }
            )

    def consent(
        self, index: bytes, created: dt.datetime, rows: dict[type, list[dict[str, Any]]]
    ) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.65:
            self.state(index, "sms", "marketing", "granted", "web_form", created, rows)
        elif roll < 0.70:
            self.state(index, "sms", "marketing", "revoked", "keyword", created, rows)
        elif roll < 0.73:
            self.state(index, "sms", "marketing", "pending", "double_opt_in", created, rows)
        elif roll < 0.75:  # implied consent that lapses: half already past, half still running
            expires = AT + dt.timedelta(days=rng.randint(-180, 180))
            method = rng.choice(["casl_implied_purchase", "soft_opt_in"])
            self.state(index, "sms", "marketing", "granted", method, created, rows, expires)
        if rng.random() < 0.40:
            self.state(index, "sms", "informational", "granted", "web_form", created, rows)
        if rng.random() < 0.10:
            self.state(index, "voice", "marketing", "granted", "agent", created, rows)
        roll = rng.random()
        if roll < 0.025:
            lifted = roll >= 0.02
            since = created + (AT - created) * rng.random() / 2
            rows[Suppression].append(
                {
                    "id": new_id(),
                    "workspace_id": 1,
                    "e164_index": index,
                    "e164_enc": None,
                    "kind": "internal_dnc",
                    "source": rng.choice(["manual", "keyword", "import"]),
                    "reason": None,
                    "created_at": since,
                    "created_by": "owner",
                    "lifted_at": since + (AT - since) * rng.random() if lifted else None,
                    "lifted_by": "owner" if lifted else None,
                    "lift_reason": "asked to be contacted again" if lifted else None,
                }
            )

    def state(
        self,
        index: bytes,
        channel: str,
        purpose: str,
        status: str,
        method: str,
        created: dt.datetime,
        rows: dict[type, list[dict[str, Any]]],
        expires: dt.datetime | None = None,
    ) -> None:
        rows[ConsentState].append(
            {
                "workspace_id": 1,
                "e164_index": index,
                "channel": channel,
                "purpose": purpose,
                "status": status,
                "method": method,
                "written": method in ("web_form", "double_opt_in"),
                "sender": None,
                "since": created + (AT - created) * self.rng.random(),
                "expires_at": expires,
                "evidence": [],
                "record_id": new_id(),
            }
        )

    def messages(
        self,
        index: bytes,
        n: int,
        country: Country,
        rows: dict[type, list[dict[str, Any]]],
    ) -> None:
        rng = self.rng
        sends = rng.randint(1, 5) if rng.random() < 0.08 else 0
        inbound = rng.random() < 0.03
        if not sends and not inbound:
            return
        # The real number is not kept here; the sealed copy only needs to be realistic in size.
        e164 = f"+{country.cc}{n:09d}"
        for i in range(sends + inbound):
            out = i < sends
            mid = new_id()
            rows[Message].append(
                {
                    "id": mid,
                    "workspace_id": 1,
                    "direction": "out" if out else "in",
                    "e164_index": index,
                    "e164_enc": self.keyring.encrypt(e164, table="messages", column="e164", row_id=mid),  # noqa: E501
                    "sender": None,
                    "channel": "sms",
                    "purpose": (rng.choice(["marketing", "marketing", "informational"]) if out else None),  # noqa: E501
                    "kind": "campaign" if out else "reply:other",
                    "subject": None,
                    "body_enc": None,
                    "at": AT - dt.timedelta(seconds=90 * 86_400 * rng.random()),
                    "status": "sent" if out else "received",
                }
            )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="Build (or find) the segment benchmark store.")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg-url", default=None, help="a PostgreSQL server URL, to build there")
    args = parser.parse_args()
    settings = build(None, args.contacts, args.seed, args.pg_url)
    print(f"store: {settings.resolved_database_url} (keys in {settings.resolved_keys_dir})")


if __name__ == "__main__":
    main()
