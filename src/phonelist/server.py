"""Run the app under uvicorn: first-start set-up, then serve until interrupted."""

from __future__ import annotations

import copy
import sys
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from phonelist.api.app import create_app
from phonelist.backup.schedule import BackupScheduler
from phonelist.bootstrap import initialize, is_initialized
from phonelist.config import Settings
from phonelist.core import Phonelist
from phonelist.dispatch.worker import embedded_worker
from phonelist.errors import ConfigError
from phonelist.logfilter import PersonalDataFilter
from phonelist.privacy.schedule import RetentionScheduler

__all__ = ["run"]

_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def run(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Serve the web pages and the API on ``host:port`` (default: the settings')."""
    level = settings.log_level.lower()
    if level not in _LEVELS:
        raise ConfigError(f"log_level must be one of: {', '.join(_LEVELS)}")
    if not is_initialized(settings):
        result = initialize(settings)
        if result.generated_password:
            print(
                f"phonelist: created the owner account {result.created_owner!r} with the "
                f"password below; store it now, it is not shown again:\n"
                f"{result.generated_password}",
                file=sys.stderr,
            )
    bind_host = host or settings.host
    bind_port = port or settings.port
    with Phonelist.open(settings) as core:
        app = create_app(core)
        backups = BackupScheduler(
            core.backups,
            Phonelist.system_actor("scheduled-backup"),
            interval_hours=settings.backup_interval_hours,
            keep=settings.backup_keep,
        )
        backups.start()
        purges = RetentionScheduler(
            core.retention,
            Phonelist.system_actor("retention"),
            interval_hours=settings.retention_interval_hours,
        )
        purges.start()
        worker = embedded_worker(core.dispatch, settings)  # worker_embedded (docs/dispatch.md)
        try:
            shown = f"[{bind_host}]" if ":" in bind_host else bind_host
            print(f"phonelist: serving on http://{shown}:{bind_port}/", file=sys.stderr)
            uvicorn.run(
                app,
                host=bind_host,
                port=bind_port,
                log_level=level,
                log_config=_log_config(level),
                # uvicorn's access log prints query strings, where search text and numbers live;
                # phonelist.api.middleware.AccessLog logs route templates instead.
                access_log=False,
                server_header=False,
            )
        finally:
            if worker is not None:
                worker.stop()
            purges.stop()
            backups.stop()


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's own logging set-up, plus phonelist's loggers on the same handler."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["personal_data"] = {"()": PersonalDataFilter}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("personal_data")
    config["loggers"]["phonelist"] = {
        "handlers": ["default"],
        "level": "DEBUG" if level == "trace" else level.upper(),
        "propagate": False,
    }
    return config
