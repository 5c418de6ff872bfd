"""Compare the metadata of two phonenumbers releases and write the fast backend's routing table.

Used by ``python bench/numbers_bench.py diff-data OLD_SITE``, where OLD_SITE is a directory
holding the phonenumbers release whose data rphonenumbers bundles, e.g.::

    pip download "phonenumbers==$(python -c 'import rphonenumbers as r; \
        print(r.__phonenumbers_version__)')" --no-deps -d /tmp/old
    unzip -q /tmp/old/phonenumbers-*.whl -d /tmp/old/site
    python bench/numbers_bench.py diff-data /tmp/old/site

The rules the table encodes are explained in src/phonelist/numbers/routing.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

TABLE_PATH = (
    Path(__file__).resolve().parent.parent / "src" / "phonelist" / "numbers" / "_routing_data.py"
)

DESCS = [
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
    "no_international_dialling",
]

# Runs inside a fresh interpreter whose sys.path starts with the release to dump.
_DUMP = r"""
import json, sys
import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, SUPPORTED_REGIONS
from phonenumbers.phonenumberutil import COUNTRY_CODES_FOR_NON_GEO_REGIONS

DESCS = ["general_desc"] + DESCS_ARG

def desc(d):
    if d is None:
        return None
    return [d.national_number_pattern, list(d.possible_length or ()),
            list(d.possible_length_local_only or ())]

def fmt(f):
    return [f.pattern, f.format, list(f.leading_digits_pattern or ()),
            f.national_prefix_formatting_rule, f.national_prefix_optional_when_formatting,
            f.domestic_carrier_code_formatting_rule]

def dump(md):
    return {
        "descs": {name: desc(getattr(md, name)) for name in DESCS},
        "formats": [fmt(f) for f in md.number_format],
        "intl_formats": [fmt(f) for f in md.intl_number_format],
        "parsing": [md.national_prefix, md.national_prefix_for_parsing,
                    md.national_prefix_transform_rule, md.international_prefix,
                    md.preferred_international_prefix, md.leading_digits,
                    md.main_country_for_code, md.country_code],
    }

out = {"version": phonenumbers.__version__, "regions": {}, "country_codes": {}}
for cc, regions in COUNTRY_CODE_TO_REGION_CODE.items():
    out["country_codes"][str(cc)] = list(regions)
for region in sorted(SUPPORTED_REGIONS):
    out["regions"][region] = dump(PhoneMetadata.metadata_for_region(region))
for cc in sorted(COUNTRY_CODES_FOR_NON_GEO_REGIONS):
    out["regions"]["001/%d" % cc] = dump(PhoneMetadata.metadata_for_nongeo_region(cc))
json.dump(out, sys.stdout)
"""


def dump_release(site: Path | None) -> dict[str, Any]:
    """The metadata of the phonenumbers in ``site`` (None: the installed one), as JSON data."""
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = str(site)
    code = _DUMP.replace("DESCS_ARG", repr(DESCS))
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    dumped: dict[str, Any] = json.loads(result.stdout)
    return dumped


def _rules(formats: list[list[Any]]) -> list[tuple[str, str, str]]:
    """Format rules as (last leading-digits pattern, pattern, everything that shapes output)."""
    rules = []
    for pattern, fmt, leading, *rest in formats:
        output = json.dumps([pattern, fmt, *rest])
        rules.append((leading[-1] if leading else "", pattern, output))
    return rules


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The routing table (as plain data) for reading ``new``'s numbers with ``old``'s data."""
    if old["country_codes"] != new["country_codes"]:
        raise SystemExit("country codes or their regions changed: the table cannot be built")
    region_cc: dict[str, int] = {}
    for cc, regions in new["country_codes"].items():
        for region in regions:
            region_cc[region] = int(cc)
    hint_regions: set[str] = set()
    whole_ccs: set[int] = set()
    descs: dict[int, list[Any]] = {}
    formats: dict[int, list[Any]] = {}
    changed: dict[str, list[str]] = {}
    for key in sorted(set(old["regions"]) | set(new["regions"])):
        cc = int(key.split("/")[1]) if key.startswith("001/") else region_cc[key]
        before, after = old["regions"].get(key), new["regions"].get(key)
        if before == after:
            continue
        what = changed.setdefault(key, [])
        general_before = before["descs"]["general_desc"] if before else None
        general_after = after["descs"]["general_desc"] if after else None
        if (
            before is None
            or after is None
            or before["parsing"] != after["parsing"]
            or (general_before or [None])[1:] != (general_after or [None])[1:]
        ):
            # Prefixes or possible lengths changed: any number of the code may read otherwise.
            what.append("parsing data")
            whole_ccs.add(cc)
            if not key.startswith("001/"):
                hint_regions.add(key)
            continue
        for name in ["general_desc", *DESCS]:
            old_desc, new_desc = before["descs"][name], after["descs"][name]
            if old_desc != new_desc:
                what.append(name)
                if name == "general_desc" and not key.startswith("001/"):
                    hint_regions.add(key)  # it steers how national digits are parsed there
                descs.setdefault(cc, []).append(
                    (
                        old_desc[0] if old_desc else None,
                        tuple(old_desc[1]) if old_desc else (),
                        new_desc[0] if new_desc else None,
                        tuple(new_desc[1]) if new_desc else (),
                    )
                )
        old_national, new_national = before["formats"], after["formats"]
        old_intl = before["intl_formats"] or old_national
        new_intl = after["intl_formats"] or new_national
        for kind, old_list, new_list in (
            ("formats", old_national, new_national),
            ("intl_formats", old_intl, new_intl),
        ):
            if old_list != new_list:
                what.append(kind)
                formats.setdefault(cc, []).append((_rules(old_list), _rules(new_list)))
    return {
        "fast": old["version"],
        "reference": new["version"],
        "hint_regions": sorted(hint_regions),
        "whole_ccs": sorted(whole_ccs),
        "descs": {cc: d for cc, d in sorted(descs.items()) if cc not in whole_ccs},
        "formats": {cc: f for cc, f in sorted(formats.items()) if cc not in whole_ccs},
        "changed": changed,
    }


def render(table: dict[str, Any]) -> str:
    lines = [
        "# ruff: noqa: E501",
        '"""Generated by ``python bench/numbers_bench.py diff-data``: do not edit by hand.',
        "",
        f"Differences between the metadata of phonenumbers {table['fast']} (bundled by",
        f"rphonenumbers) and phonenumbers {table['reference']} (the reference). What changed:",
        "",
    ]
    for key, what in table["changed"].items():
        lines.append(f"- {key}: {', '.join(what)}")
    lines += [
        '"""',
        "",
        "# fmt: off",
        f"FAST_DATA_VERSION = {table['fast']!r}",
        f"REFERENCE_DATA_VERSION = {table['reference']!r}",
        "",
        "# Regions whose parsing data changed: numbers written there without a + (the region",
        "# hint) go to the reference.",
        f"HINT_REGIONS: tuple[str, ...] = {tuple(table['hint_regions'])!r}",
        "# Country codes all of whose numbers go to the reference.",
        f"WHOLE_COUNTRY_CODES: tuple[int, ...] = {tuple(table['whole_ccs'])!r}",
        "# Changed number patterns (general and per type): old pattern, old lengths, new pattern,",
        "# new lengths.",
        "DescChange = tuple[str | None, tuple[int, ...], str | None, tuple[int, ...]]",
        "DESC_CHANGES: dict[int, tuple[DescChange, ...]] = {",
    ]
    for cc, changes in table["descs"].items():
        lines.append(f"    {cc}: (")
        for change in changes:
            lines.append("        (")
            lines += [f"            {part!r}," for part in change]
            lines.append("        ),")
        lines.append("    ),")
    lines += [
        "}",
        "# Changed format lists, old and new: (leading digits, pattern, output) per rule.",
        "Rule = tuple[str, str, str]",
        "FORMAT_CHANGES: dict[int, tuple[tuple[tuple[Rule, ...], tuple[Rule, ...]], ...]] = {",
    ]
    for cc, pairs in table["formats"].items():
        lines.append(f"    {cc}: (")
        for old_rules, new_rules in pairs:
            lines.append("        (")
            for rules in (old_rules, new_rules):
                lines.append("            (")
                lines += [f"                {rule!r}," for rule in rules]
                lines.append("            ),")
            lines.append("        ),")
        lines.append("    ),")
    lines += ["}", "# fmt: on"]
    return "\n".join(lines) + "\n"


def write_table(old_site: Path) -> dict[str, Any]:
    table = compare(dump_release(old_site), dump_release(None))
    TABLE_PATH.write_text(render(table), encoding="utf-8")
    return table
