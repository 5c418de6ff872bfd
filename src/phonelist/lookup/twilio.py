"""Twilio Lookup v2 as a :class:`~phonelist.lookup.base.LineLookup`.

``GET {base_url}/v2/PhoneNumbers/{E.164}?Fields=line_type_intelligence,line_status`` with HTTP
basic auth (account SID and auth token), plus ``reassigned_number`` and ``LastVerifiedDate``
(YYYYMMDD) when asked whether the line changed hands. The answer's shapes::

    {"phone_number": "+14155552671", "valid": true, ...,
     "line_type_intelligence": {"type": "mobile", "carrier_name": "...", "error_code": null, ...},
     "line_status": {"status": "active", "error_code": null},
     "reassigned_number": {"is_number_reassigned": "no", "last_verified_date": "2019-09-24",
                           "error_code": null}}

Errors come as ``{"code": 20404, "message": "...", "more_info": "...", "status": 404}``. This
module is the boundary where httpx's exceptions and Twilio's errors become phonelist errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from phonelist.clock import utcnow
from phonelist.errors import ConfigError, NotFound, ValidationError
from phonelist.lookup.base import LineCheck
from phonelist.lookup.errors import LookupUnavailable

__all__ = ["DEFAULT_BASE_URL", "TwilioLookup"]

DEFAULT_BASE_URL = "https://lookups.twilio.com"

_LINE_TYPES = {
    "landline": "fixed_line",
    "mobile": "mobile",
    "fixedvoip": "fixed_voip",
    "nonfixedvoip": "non_fixed_voip",
    "personal": "personal_number",
    "tollfree": "toll_free",
    "premium": "premium_rate",
    "sharedcost": "shared_cost",
    "uan": "uan",
    "voicemail": "voicemail",
    "pager": "pager",
    "unknown": "unknown",
}
# line_status.status -> active. "unreachable" is an active line whose handset is off.
_ACTIVE = {"active": True, "reachable": True, "unreachable": True, "inactive": False}
_REASSIGNED = {"yes": True, "no": False}


class TwilioLookup:
    """Twilio Lookup v2 over httpx. Close it (or use it as a context manager) when done."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        line_status: bool = True,
        clock: Callable[[], dt.datetime] = utcnow,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not account_sid or not auth_token:
            raise ConfigError("Twilio Lookup needs an account SID and an auth token")
        self.line_status = line_status
        self._clock = clock
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=(account_sid, auth_token),
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "phonelist"},
        )

    def __enter__(self) -> TwilioLookup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def check(self, e164: str, *, reassigned_since: dt.date | None = None) -> LineCheck:
        fields = ["line_type_intelligence"]
        if self.line_status:
            fields.append("line_status")
        params = {}
        if reassigned_since is not None:
            fields.append("reassigned_number")
            params["LastVerifiedDate"] = f"{reassigned_since:%Y%m%d}"
        params["Fields"] = ",".join(fields)
        body = self._get(f"/v2/PhoneNumbers/{quote(e164, safe='+')}", params)
        return self._line_check(e164, body, reassigned_since)

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = self._client.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise LookupUnavailable("Twilio Lookup did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise LookupUnavailable(f"cannot reach Twilio Lookup: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise _error_for(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise LookupUnavailable("Twilio Lookup sent an answer that is not JSON") from exc
        if not isinstance(body, dict):
            raise LookupUnavailable("Twilio Lookup sent an answer of an unexpected shape")
        return body

    def _line_check(
        self, e164: str, body: dict[str, Any], reassigned_since: dt.date | None
    ) -> LineCheck:
        intelligence = _section(body, "line_type_intelligence")
        status = _section(body, "line_status")
        reassigned = _section(body, "reassigned_number")
        raw_type = _text(intelligence.get("type"))
        active = _ACTIVE.get((_text(status.get("status")) or "").lower())
        if body.get("valid") is False:
            active = False  # Twilio found no such number: nothing to reach
        return LineCheck(
            e164=e164,
            provider=self.name,
            line_type=_LINE_TYPES.get(raw_type.lower(), "unknown") if raw_type else None,
            carrier=_text(intelligence.get("carrier_name")),
            active=active,
            reassigned=_REASSIGNED.get(_text(reassigned.get("is_number_reassigned")) or ""),
            reassigned_since=reassigned_since,
            checked_at=self._clock(),
        )


def _section(body: dict[str, Any], name: str) -> dict[str, Any]:
    """One data package of the answer; empty when absent, malformed or carrying an error."""
    value = body.get(name)
    if not isinstance(value, dict) or value.get("error_code") is not None:
        return {}
    return value


def _text(value: Any) -> str | None:
    return value[:100] if isinstance(value, str) and value else None


def _error_for(response: httpx.Response) -> Exception:
    message, code = _twilio_message(response)
    status = response.status_code
    detail = f"Twilio Lookup answered {status}" + (f" (error {code}: {message})" if code else "")
    details = {"provider": "twilio", "status": status, "provider_code": code}
    if status in (401, 403):
        return ConfigError(
            f"{detail}: check the Twilio account SID and auth token", details=details
        )
    if status == 404:
        return NotFound(f"{detail}: Twilio does not know this number", details=details)
    if status == 429:
        retry = response.headers.get("Retry-After")
        details["retry_after"] = retry
        return LookupUnavailable(f"{detail}: rate limited, try again later", details=details)
    if 400 <= status < 500:
        return ValidationError(f"{detail}: the request was refused", details=details)
    return LookupUnavailable(f"{detail}: the service is unavailable", details=details)


def _twilio_message(response: httpx.Response) -> tuple[str | None, int | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    code = body.get("code")
    message = body.get("message")
    return (
        message[:200] if isinstance(message, str) else None,
        code if isinstance(code, int) else None,
    )
