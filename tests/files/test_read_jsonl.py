"""JSON Lines: flat canonical objects and the API's nested contact shape."""

from __future__ import annotations

import json
from pathlib import Path

from phonelist.files import open_table


def test_nested_and_flat_objects(tmp_path: Path) -> None:
    lines = [
        {
            "first_name": "Ana",
            "phones": [
                "+351 912 345 678",
                {"number": "+351 210 000 000", "label": "work", "primary": True},
            ],
            "emails": [{"email": "ana@example.org", "label": "home"}],
            "tags": ["vip", "a;b"],
            "custom": {"size": 42, "ratio": 0.5, "member": True, "none": None},
            "notes": [{"body": "one", "author": "x"}, {"body": "two"}],
            "extra": {"nested": [1, 2]},
        },
        {"phone": "+12025550143", "phone_label": "cell", "custom.size": "7", "country": "US"},
        {"phones": [{"e164": "+351911111111", "national": "911 111 111", "primary": True}]},
    ]
    path = tmp_path / "contacts.jsonl"
    path.write_text(
        "\n".join(json.dumps(line) for line in lines[:2]) + "\n\n" + json.dumps(lines[2]) + "\n",
        encoding="utf-8",
    )
    with open_table(path) as table:
        assert (table.format, table.encoding, table.row_count) == ("jsonl", "utf-8", 3)
        rows = dict(table)
    assert sorted(rows) == [1, 2, 4]  # line numbers
    first = {k: v for k, v in rows[1].items() if v}
    assert first == {
        "first_name": "Ana",
        "phone": "+351 210 000 000",
        "phone_label": "work",
        "phone_2": "+351 912 345 678",
        "email": "ana@example.org",
        "email_label": "home",
        "tags": "vip; a\\;b",
        "custom.size": "42",
        "custom.ratio": "0.5",
        "custom.member": "true",
        "note": "one\n\ntwo",
        "extra": '{"nested":[1,2]}',
    }
    assert rows[2]["phone_label"] == "cell" and rows[2]["country"] == "US"
    assert rows[4]["phone"] == "+351911111111"
    assert table.columns[:6] == [
        "first_name",
        "phone",
        "phone_label",
        "phone_2",
        "phone_2_label",
        "email",
    ]
