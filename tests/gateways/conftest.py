"""The ``fake_twilio`` fixture: tests/fakes/twilio_server.py served over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.twilio_server import FakeTwilio, serve


@pytest.fixture(scope="module")
def _fake_twilio_server() -> Iterator[FakeTwilio]:
    with serve() as fake:
        yield fake


@pytest.fixture
def fake_twilio(_fake_twilio_server: FakeTwilio) -> Iterator[FakeTwilio]:
    """One server per module (starting uvicorn takes a moment), emptied for every test."""
    _fake_twilio_server.reset()
    yield _fake_twilio_server
    _fake_twilio_server.reset()
