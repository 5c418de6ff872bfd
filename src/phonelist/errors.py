"""The one exception tree of phonelist.

Every error the core raises on purpose is a :class:`PhonelistError`. Each carries what the
faces need to render it without knowing the subclass: a machine-readable ``code``, an HTTP
``status``, a CLI ``exit_code``, and optionally the ``field`` it is about and ``details``.

    PhonelistError            (code "error", 500, exit 1)
    ├── ConfigError           settings or key files are missing or wrong (exit 6)
    ├── ValidationError       bad input; names the field when there is one (422, exit 5)
    ├── NotFound              the thing asked for does not exist (404, exit 3)
    ├── Conflict              a uniqueness rule would break, e.g. a number owned by
    │                         another contact; ``details`` names the existing owner (409, exit 4)
    ├── AuthenticationError   no, unknown, expired or revoked credentials (401, exit 7)
    ├── PermissionDenied      the actor's role may not do this (403, exit 8)
    ├── StoreError            the database failed in a way the user cannot fix (503, exit 9)
    └── BackupError           a backup cannot be written, read, verified or restored: damaged,
                              made with another key, or the target store is not empty (exit 12)

Third-party errors (phonenumbers, SQLAlchemy, sqlite3, psycopg) are converted at their one
boundary (``numbers.normalize`` and ``store.session.transaction``) and never escape the core.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationError",
    "BackupError",
    "ConfigError",
    "Conflict",
    "NotFound",
    "PermissionDenied",
    "PhonelistError",
    "StoreError",
    "ValidationError",
]


class PhonelistError(Exception):
    """Root of every error phonelist raises on purpose."""

    code = "error"
    status = 500
    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        """The one error shape shared by the API and the CLI's ``--json`` mode."""
        return {
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "details": self.details,
        }


class ConfigError(PhonelistError):
    code = "config_error"
    status = 500
    exit_code = 6


class ValidationError(PhonelistError):
    code = "invalid"
    status = 422
    exit_code = 5


class NotFound(PhonelistError):
    code = "not_found"
    status = 404
    exit_code = 3


class Conflict(PhonelistError):
    code = "conflict"
    status = 409
    exit_code = 4


class AuthenticationError(PhonelistError):
    code = "unauthenticated"
    status = 401
    exit_code = 7


class PermissionDenied(PhonelistError):
    code = "forbidden"
    status = 403
    exit_code = 8


class StoreError(PhonelistError):
    code = "store_unavailable"
    status = 503
    exit_code = 9


class BackupError(PhonelistError):
    code = "backup_failed"
    status = 500
    exit_code = 12
