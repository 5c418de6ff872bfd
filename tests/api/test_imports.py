"""POST /api/v1/imports (a background job), GET its progress and its rejects."""

from __future__ import annotations

import time

from phonelist import Phonelist
from phonelist.security.permissions import Role
from tests.api.client import TestClient, bearer, client_for, new_token

CSV = (
    "Nombre,Apellido,Teléfono,Correo\n"
    "Lucía,García,612 34 56 78,lucia@example.es\n"
    "Mateo,Fernández,123,\n"
    "Lucía,García,+34 612-345-678,\n"
).encode()


def wait_done(client: TestClient, job_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/imports/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return dict(job)
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def test_upload_runs_in_the_background(client: TestClient, core: Phonelist) -> None:
    response = client.post(
        "/api/v1/imports",
        files={"file": ("../../etc/clientes.csv", CSV, "text/csv")},
        data={"region": "ES", "tags": ["feria"], "source": "api"},
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert response.headers["location"] == f"/api/v1/imports/{job_id}"
    job = wait_done(client, job_id)
    assert job["status"] == "done" and job["file"] == "clientes.csv"
    counts = job["counts"]
    assert isinstance(counts, dict)
    assert (counts["imported"], counts["rejected"], counts["duplicates_in_file"]) == (1, 1, 1)
    rejects = client.get(f"/api/v1/imports/{job_id}/rejects")
    assert rejects.status_code == 200 and rejects.headers["content-type"].startswith("text/csv")
    assert rejects.text.splitlines()[1].startswith("2,")
    found = client.get("/api/v1/search", params={"q": "+34612345678"}).json()["items"]
    assert found[0]["tags"] == ["feria"] and found[0]["source"] == "api"
    uploads = core.settings.data_dir / "uploads"
    assert not any(uploads.iterdir())  # the upload is removed once imported
    assert [j["id"] for j in client.get("/api/v1/imports").json()] == [job_id]


def test_dry_run_answers_with_the_report(client: TestClient, core: Phonelist) -> None:
    response = client.post(
        "/api/v1/imports",
        files={"file": ("c.csv", CSV, "text/csv")},
        data={"region": "ES", "dry_run": "true"},
    )
    assert response.status_code == 200
    report = response.json()
    assert report["dry_run"] and report["job_id"] is None and report["counts"]["imported"] == 1
    assert client.get("/api/v1/contacts").json()["items"] == []


def test_imports_need_write_permission(client: TestClient, core: Phonelist) -> None:
    viewer = bearer(new_token(core, Role.VIEWER))
    response = client.post(
        "/api/v1/imports", files={"file": ("c.csv", CSV, "text/csv")}, headers=viewer
    )
    assert response.status_code == 403
    assert client.get("/api/v1/imports/NOPE").status_code == 404


def test_bad_files_and_options_are_4xx(client: TestClient) -> None:
    binary = client.post(
        "/api/v1/imports", files={"file": ("x.csv", b"\x00\x01\x02" * 1000, "text/csv")}
    )
    assert binary.status_code == 422 and binary.json()["error"]["code"].startswith("file_")
    option = client.post(
        "/api/v1/imports",
        files={"file": ("c.csv", CSV, "text/csv")},
        data={"on_duplicate": "merge"},
    )
    assert option.status_code == 422 and option.json()["error"]["field"] == "on_duplicate"


def test_uploads_over_the_limit_are_413(core: Phonelist) -> None:
    core.settings = core.settings.model_copy(update={"max_upload_bytes": 2048})
    with client_for(core) as client:
        client.headers.update(bearer(new_token(core)))
        response = client.post(
            "/api/v1/imports", files={"file": ("big.csv", b"a,b\n" * 2000, "text/csv")}
        )
    assert response.status_code == 413
