"""The attacks issue 6 lists, each refused, in one place.

Several have fuller tests next to the feature they attack (tests/api/test_auth.py,
tests/web/test_pages.py, tests/security/test_sign_in.py, tests/backup/test_backup.py); this
module is the checklist, run against the faces as an attacker would use them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from phonelist import Phonelist
from phonelist.errors import ValidationError
from phonelist.security.permissions import Actor, Role
from phonelist.store.models import ApiToken, Workspace
from tests.api.client import TestClient, bearer, client_for, new_token
from tests.conftest import OWNER_PASSWORD
from tests.web.helpers import COOKIE, csrf_of, sign_in

NEW = {"display_name": "Mallory's friend", "phones": ["+351912340000"]}


@pytest.fixture
def browser(core: Phonelist) -> Iterator[TestClient]:
    with client_for(core) as client:
        client.follow_redirects = False
        yield client


def test_no_token(anonymous: TestClient) -> None:
    assert anonymous.get("/api/v1/contacts").status_code == 401
    assert anonymous.post("/api/v1/contacts", json=NEW).status_code == 401


def test_a_forged_token(anonymous: TestClient, token: str) -> None:
    forged = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    assert anonymous.get("/api/v1/contacts", headers=bearer(forged)).status_code == 401


def test_an_expired_token(anonymous: TestClient, core: Phonelist) -> None:
    secret = new_token(core, Role.OWNER, expires_in_days=1)
    with core.store.write() as session:
        session.execute(
            update(ApiToken).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    assert anonymous.get("/api/v1/contacts", headers=bearer(secret)).status_code == 401


def test_a_token_of_the_wrong_role(anonymous: TestClient, core: Phonelist) -> None:
    viewer = bearer(new_token(core, Role.VIEWER))
    assert anonymous.post("/api/v1/contacts", json=NEW, headers=viewer).status_code == 403
    agent = bearer(new_token(core, Role.AGENT))
    assert anonymous.post("/api/v1/tokens", json={"name": "x", "role": "owner"},
                          headers=agent).status_code == 403  # fmt: skip


def test_a_form_without_its_csrf_token(browser: TestClient) -> None:
    browser.get("/signin")
    response = browser.post("/signin", data={"username": "owner", "password": OWNER_PASSWORD})
    assert response.status_code == 403
    assert browser.get("/contacts").status_code == 303  # not signed in


def test_session_fixation(browser: TestClient, core: Phonelist) -> None:
    browser.get("/signin")
    planted = browser.cookies[COOKIE]  # a cookie an attacker put in the victim's browser
    sign_in(browser)
    assert browser.cookies[COOKIE] != planted
    with client_for(core) as attacker:
        attacker.follow_redirects = False
        attacker.cookies.set(COOKIE, planted)
        assert attacker.get("/contacts").status_code == 303  # still signed out


def test_another_workspaces_ids(client: TestClient, core: Phonelist) -> None:
    created = client.post("/api/v1/contacts", json=NEW)
    assert created.status_code == 201
    contact_id = created.json()["id"]
    with core.store.write() as session:
        session.add(
            Workspace(id=2, name="other", default_region="PT", statuses=["lead"],
                      created_at=dt.datetime.now(dt.UTC))
        )  # fmt: skip
    other = Actor(workspace_id=2, role=Role.OWNER, kind="cli", ref="other")
    _, secret = core.tokens.create(other, "other", Role.OWNER, expires_in_days=1)
    with client_for(core) as outsider:
        outsider.headers.update(bearer(secret))
        assert outsider.get(f"/api/v1/contacts/{contact_id}").status_code == 404
        assert outsider.delete(f"/api/v1/contacts/{contact_id}").status_code == 404
        assert outsider.get("/api/v1/contacts").json()["items"] == []
    assert client.get(f"/api/v1/contacts/{contact_id}").status_code == 200  # untouched


@pytest.mark.parametrize(
    "name", ["../phonelist.db", "../../etc/passwd", "/etc/passwd", "backups/../x.plbak", ""]
)
def test_path_traversal_in_backup_names(core: Phonelist, name: str) -> None:
    with pytest.raises(ValidationError):
        core.backups.path_of(name)


def test_path_traversal_in_an_uploaded_file_name(client: TestClient, core: Phonelist) -> None:
    upload = ("../../../../tmp/phonelist-evil.csv", b"name,phone\nAna,+351912345679\n", "text/csv")
    response = client.post("/api/v1/imports", files={"file": upload})
    assert response.status_code in (201, 202), response.text
    job = core.imports.job(Phonelist.cli_actor(), response.json()["job_id"])
    assert job.file_name == "phonelist-evil.csv"  # the name only: never a path from the client


def test_brute_force_sign_in(browser: TestClient) -> None:
    for _ in range(5):
        token = csrf_of(browser.get("/signin").text)
        wrong = {"username": "owner", "password": "guess", "csrf_token": token}
        assert browser.post("/signin", data=wrong).status_code == 401
    token = csrf_of(browser.get("/signin").text)
    right = {"username": "owner", "password": OWNER_PASSWORD, "csrf_token": token}
    assert browser.post("/signin", data=right).status_code == 401  # locked: even the password
    statuses = set()
    for _ in range(20):  # then the per-address throttle
        token = csrf_of(browser.get("/signin").text)
        statuses.add(browser.post("/signin", data={**right, "csrf_token": token}).status_code)
    assert 429 in statuses
