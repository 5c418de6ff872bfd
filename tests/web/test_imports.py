"""The import wizard: upload, mapping with a preview, the check (a dry run), the import as a
background job with its progress JSON, and the rejects download; and in a real browser."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from phonelist import Phonelist
from phonelist.security.permissions import Role
from tests.api.client import TestClient, contact_count
from tests.web.helpers import Controls, csrf_of, sign_in

MESSY = (
    "Nome;Telemóvel;E-mail;Cidade;Cor favorita\n"
    "Ana Sousa;912 345 678;ana@example.com;Lisboa;azul\n"
    "Bruno Lima;not a number;bruno@example.com;Porto;verde\n"
    "Carla Dias;+351 913 000 111;;Faro;\n"
    "Ana again;912345678;;Lisboa;azul\n"
    "Duarte;12;;Braga;roxo\n"
).encode()


def upload(client: TestClient, token: str, body: bytes, name: str = "messy.csv") -> Any:
    return client.post(
        "/imports/upload",
        data={"csrf_token": token},
        files={"file": (name, body, "text/csv")},
    )


def upload_id(response: Any) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/imports/([0-9a-z]{26})/mapping", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def choices(token: str, mapping: list[str], **extra: str) -> dict[str, Any]:
    return {"csrf_token": token, "map": mapping, "region": "PT", **extra}


AUTO = ["display_name", "phone:mobile", "email", "city", "ignore"]


def test_the_wizard_maps_checks_imports_and_gives_the_rejects(
    client: TestClient, core: Phonelist
) -> None:
    token = sign_in(client)
    uid = upload_id(upload(client, token, MESSY))

    mapping = client.get(f"/imports/{uid}/mapping")
    assert mapping.status_code == 200
    assert "Ana Sousa" in mapping.text and "Cor favorita" in mapping.text  # the preview
    selected = re.findall(r'<option value="([^"]+)" selected>', mapping.text)
    assert selected == [*AUTO, "skip"]  # the header auto-mapping, then on-duplicate
    parser = Controls()
    parser.feed(mapping.text)
    assert all(c.get("id") in parser.labelled for c in parser.controls)

    checked = client.post(f"/imports/{uid}/check", data=choices(token, AUTO))
    assert checked.status_code == 200, checked.text
    assert re.search(r'id="count-rows">5<', checked.text)
    assert re.search(r'id="count-imported">2<', checked.text)
    assert re.search(r'id="count-duplicates_in_file">1<', checked.text)
    assert re.search(r'id="count-rejected">2<', checked.text)
    assert "mobile" in checked.text and "PT" in checked.text  # line types and countries
    assert contact_count(core) == 0  # a check writes nothing

    rejects = client.post(f"/imports/{uid}/rejects.csv", data=choices(token, AUTO))
    assert rejects.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(rejects.text)))
    assert rows[0] == ["row", "column", "value", "reason", "message"]
    assert [(r[0], r[2]) for r in rows[1:]] == [("2", "not a number"), ("5", "12")]

    started = client.post(f"/imports/{uid}/start", data=choices(token, AUTO, tags="fair"))
    assert started.status_code == 303
    job_id = started.headers["location"].rsplit("/", 1)[1]
    job = wait_for(client, job_id)
    assert job["status"] == "done" and job["counts"]["imported"] == 2
    assert contact_count(core) == 2
    page = client.get(f"/imports/jobs/{job_id}")
    assert page.status_code == 200 and 'src="/static/imports.js"' in page.text
    done = client.get(f"/imports/jobs/{job_id}/rejects.csv")
    assert "attachment" in done.headers["content-disposition"]
    assert [r[2] for r in csv.reader(io.StringIO(done.text))][1:] == ["not a number", "12"]
    # The upload belonged to the job: the wizard's steps for it are gone.
    assert client.get(f"/imports/{uid}/mapping").status_code == 404


def wait_for(client: TestClient, job_id: str) -> dict[str, Any]:
    for _ in range(200):
        job: dict[str, Any] = client.get(f"/web/api/imports/{job_id}").json()
        if job["done"]:
            return job
        time.sleep(0.05)
    raise AssertionError(f"import {job_id} did not finish")


def test_a_changed_mapping_and_a_conflict_are_shown_on_the_mapping_page(
    client: TestClient,
) -> None:
    token = sign_in(client)
    uid = upload_id(upload(client, token, MESSY))
    both = ["first_name", "phone", "email", "first_name", "ignore"]

    refused = client.post(f"/imports/{uid}/check", data=choices(token, both))

    assert refused.status_code == 422
    assert "map: columns &#39;Nome&#39; and &#39;Cidade&#39; both map to first_name" in refused.text
    assert re.findall(r'<option value="([^"]+)" selected>', refused.text)[:4] == both[:4]


def test_a_file_the_importer_cannot_read_is_refused_with_its_message(client: TestClient) -> None:
    token = sign_in(client)

    empty = upload(client, token, b"", "empty.csv")
    binary = upload(client, token, b"\x00\x01\x02 not text" * 50, "data.csv")
    no_phone = upload_id(upload(client, token, b"name,city\nAna,Lisboa\n", "nophone.csv"))
    checked = client.post(
        f"/imports/{no_phone}/check", data=choices(token, ["display_name", "city"])
    )

    assert empty.status_code == 422 and "empty.csv: the file is empty" in empty.text
    assert binary.status_code == 422 and "data.csv: " in binary.text
    assert checked.status_code == 422
    assert "no phone number column found in nophone.csv" in checked.text


def test_the_upload_has_the_api_upload_limit_not_the_form_limit(
    client: TestClient, core: Phonelist
) -> None:
    token = sign_in(client)
    rows = "".join(f"Person {n},+3519{n:08d}\n" for n in range(100_000))
    body = ("name,phone\n" + rows).encode()
    assert core.settings.max_request_bytes < len(body) < core.settings.max_upload_bytes

    uploaded = upload(client, token, body, "big.csv")
    elsewhere = client.post("/segments/save", data={"csrf_token": token, "query": rows})

    assert uploaded.status_code == 303
    assert elsewhere.status_code == 413


def test_every_post_needs_the_csrf_token(client: TestClient, core: Phonelist) -> None:
    token = sign_in(client)
    uid = upload_id(upload(client, token, MESSY))
    forged = {"map": AUTO, "region": "PT"}

    assert upload(client, "", MESSY).status_code == 403
    for step in ("check", "rejects.csv", "start"):
        response = client.post(f"/imports/{uid}/{step}", data=forged)
        assert response.status_code == 403, step
        assert "did not come from this site" in response.text
    assert contact_count(core) == 0


def test_uploads_belong_to_their_user_and_need_contacts_write(
    client: TestClient, core: Phonelist
) -> None:
    token = sign_in(client)
    uid = upload_id(upload(client, token, MESSY))
    core.users.create(core.cli_actor(), "viv", "a long viewer password", Role.VIEWER)
    core.users.create(core.cli_actor(), "eddie", "a long editor password", Role.EDITOR)
    client.post("/signout", data={"csrf_token": token})

    viewer = sign_in_as(client, "viv", "a long viewer password")
    assert client.get("/imports/new").status_code == 403
    assert upload(client, viewer, MESSY).status_code == 403
    client.post("/signout", data={"csrf_token": viewer})

    editor = sign_in_as(client, "eddie", "a long editor password")
    assert client.get(f"/imports/{uid}/mapping").status_code == 404  # the owner's upload
    assert client.post(f"/imports/{uid}/start", data=choices(editor, AUTO)).status_code == 404
    assert client.get("/imports/not-an-id/mapping").status_code == 404


def test_the_progress_json_needs_a_session(client: TestClient) -> None:
    response = client.get("/web/api/imports/01ABC")

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")


def sign_in_as(client: TestClient, username: str, password: str) -> str:
    token = csrf_of(client.get("/signin").text)
    response = client.post(
        "/signin", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/imports").text)


# -- in a real browser -------------------------------------------------------------------------
@pytest.mark.browser
def test_importing_a_messy_csv_through_the_wizard(
    page: Any,
    sign_in: Callable[..., Any],
    shot: Callable[..., Path],
    assert_labelled: Callable[[Any], None],
    tmp_path: Path,
    core: Phonelist,
) -> None:
    messy = tmp_path / "messy.csv"
    messy.write_bytes(MESSY)
    sign_in(page, "editor")
    page.goto("/imports/new")
    assert_labelled(page)
    page.get_by_label("File to import").set_input_files(str(messy))
    page.get_by_role("button", name="Upload and map the columns").click()

    page.wait_for_url("**/mapping")
    assert_labelled(page)
    assert page.get_by_label("Field for the column Telemóvel").input_value() == "phone:mobile"
    page.get_by_label("Field for the column Cor favorita").select_option("ignore")
    page.get_by_label("Country of numbers written without +").fill("PT")
    page.get_by_label("Tags for every imported contact").fill("fair, 2026")
    shot(page, "import-mapping")
    page.get_by_role("button", name="Check the file").click()

    assert page.locator("#count-rows").inner_text() == "5"
    assert page.locator("#count-rejected").inner_text() == "2"
    assert_labelled(page)
    shot(page, "import-report")
    with page.expect_download() as checked:
        page.get_by_role("button", name="Download the rejected rows (CSV)").click()
    assert "not a number" in Path(checked.value.path()).read_text(encoding="utf-8")

    page.get_by_role("button", name="Import 3 rows").click()
    page.wait_for_url("**/imports/jobs/*")
    page.get_by_text("Done.").wait_for()
    assert page.locator("#job-imported").inner_text() == "2"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rejected rows (CSV)").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [
        ("2", "not a number", rows[1][3]),
        ("5", "12", rows[2][3]),
    ]
    assert all(r[3] for r in rows[1:])  # each with its reason
    assert contact_count(core) == 2
