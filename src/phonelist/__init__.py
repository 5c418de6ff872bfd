"""phonelist: keep a phone number list the way the law and good practice want it kept.

The public API: build :class:`Settings`, open a :class:`Phonelist` core, and change contacts
through :meth:`Phonelist.contacts.apply` with the commands in :mod:`phonelist.contacts`.
"""

from phonelist.config import Settings, load_settings
from phonelist.core import Phonelist
from phonelist.errors import (
    AuthenticationError,
    ConfigError,
    Conflict,
    NotFound,
    PermissionDenied,
    PhonelistError,
    StoreError,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "ConfigError",
    "Conflict",
    "NotFound",
    "PermissionDenied",
    "Phonelist",
    "PhonelistError",
    "Settings",
    "StoreError",
    "ValidationError",
    "__version__",
    "load_settings",
]
