"""Fifty clients add the same number at once, each typing it differently: one contact wins."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest

from phonelist import Phonelist
from phonelist.api.app import create_app
from phonelist.numbers import normalize
from tests.api.client import bearer, contact_count
from tests.conftest import BACKENDS

E164 = "+351912345678"
# The workspace's region is US, so the country is given with + or with 011, the US exit code.
PREFIXES = ["+351", "+351 ", "011351", "011 351 ", "+(351) "]
BODIES = [
    "912345678",
    "912 345 678",
    "912-345-678",
    "912.345.678",
    "(912) 345 678",
    "91 234 56 78",
    "9123 45678",
    "912 345-678",
    "912/345/678",
    "912 34 56 78",
]
FORMATS = [prefix + body for prefix, body in itertools.product(PREFIXES, BODIES)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Both backends here: races are what a shared PostgreSQL server adds."""
    return str(request.param)


def test_the_fifty_formats_are_fifty_spellings_of_one_number() -> None:
    assert len(set(FORMATS)) == 50
    assert {normalize(text, "US").e164 for text in FORMATS} == {E164}


def test_fifty_concurrent_creates_of_one_number_make_one_contact(
    core: Phonelist, token: str
) -> None:
    app = create_app(core)

    async def create_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://phonelist.test", headers=bearer(token)
        ) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/contacts",
                        json={"display_name": f"Caller {i}", "phones": [number]},
                    )
                    for i, number in enumerate(FORMATS)
                )
            )

    responses = asyncio.run(create_all())

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 49, [r.text for r in responses if r.status_code >= 500]
    [winner] = [r.json() for r in responses if r.status_code == 201]
    assert [p["e164"] for p in winner["phones"]] == [E164]
    for response in responses:
        if response.status_code == 409:
            error = response.json()["error"]
            assert error["code"] == "number_taken"
            assert error["details"]["contact_id"] == winner["id"]
    assert contact_count(core) == 1
