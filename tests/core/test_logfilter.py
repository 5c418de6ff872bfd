"""No phone number or email address reaches the server's log lines."""

from __future__ import annotations

import logging
import logging.config

import pytest

from phonelist.logfilter import PersonalDataFilter, redact
from phonelist.server import _log_config

ULID_LINE = "contact 01ARZ3NDEKTSV4RRFFQ69G5FAV: 12 rows in 340 ms"
DIGEST_LINE = "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lookup failed for +351 912 345 678", "lookup failed for [number]"),
        ("call (415) 555-0100 now", "call ([number] now"),
        ("from 00351912345678.", "from [number]."),
        ("mail ana.silva+x@example.co.uk please", "mail [email] please"),
        (
            "contact 01ARZ3NDEKTSV4RRFFQ69G5FAV: 12 rows in 340 ms",
            "contact 01ARZ3NDEKTSV4RRFFQ69G5FAV: 12 rows in 340 ms",
        ),
        (
            "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
        ("port 8000, year 2026", "port 8000, year 2026"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_filter_cleans_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("phonelist.test-filter")
    logger.addFilter(PersonalDataFilter())
    try:
        with caplog.at_level(logging.INFO, logger="phonelist.test-filter"):
            logger.info("sent to %s for %s", "+14155550100", "bob@example.org")
            try:
                raise ValueError("bad number +351912345678")
            except ValueError:
                logger.exception("failed")
    finally:
        logger.filters.clear()
    assert "4155550100" not in caplog.text and "bob@" not in caplog.text
    assert "912345678" not in caplog.text
    assert "sent to [number] for [email]" in caplog.text


def test_serve_puts_the_filter_on_every_handler() -> None:
    config = _log_config("info")
    assert config["handlers"]
    for handler in config["handlers"].values():
        assert "personal_data" in handler["filters"]
    logging.config.dictConfig(config)  # the configuration is valid as written
