"""The optional second factor: time-based one-time codes (RFC 6238, 30 s steps, 6 digits).

Pure functions of the secret, the code and the time; the secret is stored sealed with the
keyring (``users.totp_secret``), never in clear.
"""

from __future__ import annotations

import datetime as dt

import pyotp

__all__ = ["ISSUER", "new_secret", "provisioning_uri", "verify_code"]

ISSUER = "phonelist"


def new_secret() -> str:
    """A random base32 secret of 160 bits, as authenticator apps expect."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app scans (as a QR code) or imports."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def verify_code(secret: str, code: str | None, at: dt.datetime) -> bool:
    """Whether ``code`` is valid at ``at``, or in the 30 s step just before or after it.

    The neighbouring steps allow for clock drift and typing time. A code is not remembered
    once used (there is no column for the last step): it can be replayed within its window.
    """
    if code is None:
        return False
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    return pyotp.TOTP(secret).verify(code, for_time=at, valid_window=1)
