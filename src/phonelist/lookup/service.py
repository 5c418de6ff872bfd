"""Live line checks with a dated cache in ``line_lookups``, keyed by the number's blind index.

A provider is called only when a workspace configured one (:func:`build_line_checks` returns
None otherwise), and at most once per number within ``max_age``: a live check costs money and
the answer changes slowly. The cache holds no number in clear: the key is the phone blind index
(``keyring.blind_index("phone", e164)``), the same one contacts use.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from phonelist.clock import utcnow
from phonelist.errors import ConfigError, ValidationError
from phonelist.lookup.base import LineCheck, LineLookup
from phonelist.lookup.twilio import DEFAULT_BASE_URL, TwilioLookup
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.models import LineLookup as LineLookupRow

__all__ = ["LineCheckService", "LookupSettings", "build_line_checks"]

_E164 = re.compile(r"\+[1-9]\d{6,14}")
PROVIDERS = ("none", "twilio")


@dataclass(frozen=True, slots=True)
class LookupSettings:
    """What a live line check needs from the configuration."""

    provider: str = "none"  # "none" | "twilio"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_lookup_base_url: str = DEFAULT_BASE_URL
    max_age_days: int = 30

    @classmethod
    def from_settings(cls, settings: Any) -> LookupSettings:
        """Read ``lookup_provider``, ``twilio_*`` and ``lookup_max_age_days`` from Settings.

        Settings that lack them (older configurations) mean "not configured".
        """
        return cls(
            provider=str(getattr(settings, "lookup_provider", None) or "none").lower(),
            twilio_account_sid=getattr(settings, "twilio_account_sid", None),
            twilio_auth_token=_secret(getattr(settings, "twilio_auth_token", None)),
            twilio_lookup_base_url=getattr(settings, "twilio_lookup_base_url", None)
            or DEFAULT_BASE_URL,
            max_age_days=int(getattr(settings, "lookup_max_age_days", None) or 30),
        )

    @property
    def configured(self) -> bool:
        return self.provider != "none"


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    reveal = getattr(value, "get_secret_value", None)  # pydantic SecretStr
    return str(reveal() if callable(reveal) else value)


def build_line_checks(
    config: LookupSettings, store: Store, keyring: Keyring
) -> LineCheckService | None:
    """The line-check service for this configuration, or None when no provider is set."""
    if not config.configured:
        return None
    if config.provider not in PROVIDERS:
        raise ConfigError(
            f"unknown lookup_provider {config.provider!r}: use one of {', '.join(PROVIDERS)}"
        )
    if not config.twilio_account_sid or not config.twilio_auth_token:
        raise ConfigError(
            "lookup_provider is twilio but twilio_account_sid or twilio_auth_token is not set"
        )
    if config.max_age_days < 0:
        raise ConfigError("lookup_max_age_days cannot be negative")
    lookup = TwilioLookup(
        config.twilio_account_sid,
        config.twilio_auth_token,
        base_url=config.twilio_lookup_base_url,
    )
    return LineCheckService(store, keyring, lookup, max_age=dt.timedelta(days=config.max_age_days))


class LineCheckService:
    """Checks lines through a provider, reusing answers younger than ``max_age``."""

    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        lookup: LineLookup,
        *,
        max_age: dt.timedelta,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.lookup = lookup
        self.max_age = max_age
        self.clock = clock

    def check(
        self,
        actor: Actor,
        e164: str,
        *,
        reassigned_since: dt.date | None = None,
        refresh: bool = False,
    ) -> LineCheck:
        """The line's state: from the cache when fresh enough, else from the provider.

        Needs ``contacts.write``: a check spends provider credit and writes the cache.
        """
        actor.require(Permission.CONTACTS_WRITE)
        if not _E164.fullmatch(e164):
            raise ValidationError(f"{e164!r} is not an E.164 number", field="number")
        index = self.keyring.blind_index("phone", e164)
        key = (actor.workspace_id, index)
        if not refresh:
            with self.store.read() as session:
                row = session.get(LineLookupRow, key)
                if row is not None and self._fresh(row, reassigned_since):
                    return _from_row(e164, row)
        found = self.lookup.check(e164, reassigned_since=reassigned_since)
        with self.store.write() as session:
            row = session.get(LineLookupRow, key)
            if row is None:
                row = LineLookupRow(workspace_id=actor.workspace_id, e164_index=index)
                session.add(row)
            row.provider = found.provider
            row.line_type = found.line_type
            row.carrier = found.carrier
            row.active = found.active
            row.reassigned = found.reassigned
            row.reassigned_since = found.reassigned_since
            row.checked_at = found.checked_at
        return found

    def close(self) -> None:
        close = getattr(self.lookup, "close", None)
        if callable(close):
            close()

    def _fresh(self, row: LineLookupRow, reassigned_since: dt.date | None) -> bool:
        if row.provider != self.lookup.name:
            return False
        if reassigned_since is not None and row.reassigned_since != reassigned_since:
            return False  # the question asked is another one
        return self.clock() - row.checked_at <= self.max_age


def _from_row(e164: str, row: LineLookupRow) -> LineCheck:
    return LineCheck(
        e164=e164,
        provider=row.provider,
        line_type=row.line_type,
        carrier=row.carrier,
        active=row.active,
        reassigned=row.reassigned,
        reassigned_since=row.reassigned_since,
        checked_at=row.checked_at,
        from_cache=True,
    )
