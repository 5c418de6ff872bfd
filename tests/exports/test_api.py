"""GET /api/v1/export: a download with the right headers, audited, errors in the API shape."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest

from phonelist import Phonelist
from phonelist.clock import utcnow
from phonelist.security.permissions import Actor, Role
from tests.api.client import TestClient, bearer, client_for, new_token
from tests.exports.helpers import export_events, populate


def filenames(extension: str) -> set[str]:
    today = utcnow().date()
    days = (today - dt.timedelta(days=1), today)  # the test may straddle midnight
    return {f'attachment; filename="phonelist-export-{d.isoformat()}.{extension}"' for d in days}


def test_csv_download(client: TestClient, core: Phonelist, actor: Actor) -> None:
    populate(core, actor)
    response = client.get("/api/v1/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] in filenames("csv")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-export-rows"] == "3"
    assert int(response.headers["content-length"]) == len(response.content)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert len(rows) == 4 and rows[1][2] == "Ana"
    [event] = export_events(core)
    assert event.actor.startswith("token:") and event.detail["rows"] == 3


@pytest.mark.parametrize(
    ("kind", "media_type", "extension"),
    [
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        ("vcard", "text/vcard; charset=utf-8", "vcf"),
        ("jsonl", "application/x-ndjson", "jsonl"),
    ],
)
def test_other_formats(
    client: TestClient, core: Phonelist, actor: Actor, kind: str, media_type: str, extension: str
) -> None:
    populate(core, actor)
    response = client.get("/api/v1/export", params={"format": kind})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"] in filenames(extension)
    if kind == "xlsx":
        assert zipfile.is_zipfile(io.BytesIO(response.content))
    elif kind == "vcard":
        assert response.text.count("BEGIN:VCARD") == 3
    else:
        assert len(response.text.splitlines()) == 3


def test_filters_columns_and_numbers(client: TestClient, core: Phonelist, actor: Actor) -> None:
    populate(core, actor)
    response = client.get(
        "/api/v1/export",
        params={"format": "jsonl", "columns": "first_name,phone", "numbers": "national",
                "tag": "vip", "list": "Feira 2024"},
    )  # fmt: skip
    assert response.status_code == 200
    assert [json.loads(line) for line in response.text.splitlines()] == [
        {"first_name": "Ana", "phones": [{"number": "912 345 678", "primary": True}]}
    ]
    assert export_events(core)[0].detail["filters"] == {"tag": "vip", "list": "Feira 2024"}


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"format": "pdf"}, "format", "export_bad_format"),
        ({"columns": "shoe"}, "columns", "export_bad_columns"),
        ({"numbers": "intl"}, "numbers", "export_bad_numbers"),
        ({"status": "x" * 33}, "status", "invalid"),
    ],
)
def test_bad_requests_are_422_in_the_error_shape(
    client: TestClient, core: Phonelist, params: dict[str, str], field: str, code: str
) -> None:
    response = client.get("/api/v1/export", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["field"], error["code"]) == (field, code)
    assert export_events(core) == []


def test_a_token_is_required_and_any_role_may_export(core: Phonelist, actor: Actor) -> None:
    populate(core, actor)
    with client_for(core) as anonymous:
        assert anonymous.get("/api/v1/export").status_code == 401
        viewer = anonymous.get("/api/v1/export", headers=bearer(new_token(core, Role.VIEWER)))
        assert viewer.status_code == 200 and viewer.headers["x-export-rows"] == "3"
