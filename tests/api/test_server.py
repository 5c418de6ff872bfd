"""``phonelist.server.run``: set up on the first start, then hand the app to uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from phonelist import ConfigError, load_settings, server
from phonelist.bootstrap import is_initialized


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run(app: FastAPI, **kwargs: Any) -> None:
        calls.append({"app": app, **kwargs})

    monkeypatch.setattr(server.uvicorn, "run", fake_run)
    return calls


def test_first_start_initialises_and_prints_the_password_once(
    tmp_path: Path, served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(data_dir=tmp_path / "data")

    server.run(settings, port=8765)
    first = capsys.readouterr()
    server.run(settings)
    second = capsys.readouterr()

    assert is_initialized(settings)
    assert "'owner'" in first.err and "not shown again" in first.err
    assert first.out == ""
    assert "not shown again" not in second.err
    assert "http://127.0.0.1:8765/" in first.err
    assert "http://127.0.0.1:8000/" in second.err
    assert [c["port"] for c in served] == [8765, 8000]
    assert all(isinstance(c["app"], FastAPI) for c in served)
    assert all(c["access_log"] is False and c["host"] == "127.0.0.1" for c in served)
    assert served[0]["log_config"]["loggers"]["phonelist"]["level"] == "INFO"


def test_an_unknown_log_level_is_a_config_error(
    tmp_path: Path, served: list[dict[str, Any]]
) -> None:
    settings = load_settings(data_dir=tmp_path / "data", log_level="chatty")

    with pytest.raises(ConfigError, match="log_level"):
        server.run(settings)

    assert served == []
    assert not is_initialized(settings)
