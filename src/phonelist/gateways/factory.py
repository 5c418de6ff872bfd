"""Gateway settings, and the one place a gateway is built from them.

``GatewaySettings`` reads a mapping (a TOML table, a dict) or ``PHONELIST_GATEWAY_*``
environment variables; docs/gateways.md lists every setting. Secrets (the Twilio auth token and
API key secret, the HTTP/JSON token and signing secret) never appear in ``repr``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TextIO

import httpx

from phonelist.errors import ConfigError
from phonelist.gateways.base import Gateway
from phonelist.gateways.console import ConsoleGateway, FileGateway
from phonelist.gateways.http_json import DEFAULT_OPT_OUT_CODES, HttpJsonGateway
from phonelist.gateways.recording import RecordingGateway
from phonelist.gateways.twilio import DEFAULT_BASE_URL, TwilioGateway

__all__ = ["KINDS", "GatewaySettings", "build_gateway"]

KINDS = ("recording", "console", "file", "twilio", "http_json")
ENV_PREFIX = "PHONELIST_GATEWAY_"


@dataclass(frozen=True)
class GatewaySettings:
    """Which gateway sends, and how to reach it."""

    kind: str = "recording"
    timeout: float = 10.0  # seconds for a provider's answer
    connect_timeout: float = 5.0
    max_connections: int = 100  # pooled HTTP connections (per process)
    status_callback_url: str | None = None  # public URL of our status webhook, for providers
    # file gateway
    file_path: Path | None = None
    # Twilio
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_api_key_sid: str | None = None
    twilio_api_key_secret: str | None = field(default=None, repr=False)
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_base_url: str = DEFAULT_BASE_URL
    # HTTP/JSON
    http_json_url: str | None = None
    http_json_token: str | None = field(default=None, repr=False)
    http_json_from: str | None = None
    http_json_signing_secret: str | None = field(default=None, repr=False)
    http_json_opt_out_codes: tuple[str, ...] = tuple(sorted(DEFAULT_OPT_OUT_CODES))

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(
                f"unknown gateway {self.kind!r}: use one of {', '.join(KINDS)}", field="kind"
            )
        if self.timeout <= 0 or self.connect_timeout <= 0:
            raise ConfigError("gateway timeouts must be positive", field="timeout")
        if self.max_connections < 1:
            raise ConfigError("max_connections must be at least 1", field="max_connections")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> GatewaySettings:
        """From a mapping of setting names (a ``[gateway]`` TOML table, say); strings coerced."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"unknown gateway setting(s): {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        for name, value in values.items():
            if value is None or value == "":
                continue
            try:
                kwargs[name] = _coerce(name, value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"gateway setting {name} is not valid", field=name) from exc
        return cls(**kwargs)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GatewaySettings:
        """From ``PHONELIST_GATEWAY_<NAME>`` variables (``PHONELIST_GATEWAY`` for ``kind``)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if env.get("PHONELIST_GATEWAY"):
            values["kind"] = env["PHONELIST_GATEWAY"]
        for f in fields(cls):
            name = ENV_PREFIX + f.name.upper()
            if name in env:
                values[f.name] = env[name]
        return cls.from_mapping(values)


def _coerce(name: str, value: Any) -> Any:
    if name in ("timeout", "connect_timeout"):
        return float(value)
    if name == "max_connections":
        if isinstance(value, bool):
            raise TypeError(name)
        return int(value)
    if name == "file_path":
        return Path(value)
    if name == "http_json_opt_out_codes":
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(item).strip() for item in items if str(item).strip())
    if not isinstance(value, str):
        raise TypeError(name)
    return value


def build_gateway(
    settings: GatewaySettings,
    *,
    transport: httpx.BaseTransport | None = None,
    stream: TextIO | None = None,
) -> Gateway:
    """The gateway ``settings`` describe; ``transport``/``stream`` are for tests."""
    if settings.kind == "recording":
        return RecordingGateway()
    if settings.kind == "console":
        return ConsoleGateway(stream)
    if settings.kind == "file":
        if settings.file_path is None:
            raise ConfigError("the file gateway needs file_path", field="file_path")
        return FileGateway(settings.file_path)
    if settings.kind == "twilio":
        if not settings.twilio_account_sid:
            raise ConfigError(
                "the Twilio gateway needs twilio_account_sid", field="twilio_account_sid"
            )
        return TwilioGateway(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            api_key_sid=settings.twilio_api_key_sid,
            api_key_secret=settings.twilio_api_key_secret,
            sender=settings.twilio_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            status_callback=settings.status_callback_url,
            base_url=settings.twilio_base_url,
            timeout=settings.timeout,
            connect_timeout=settings.connect_timeout,
            max_connections=settings.max_connections,
            transport=transport,
        )
    if not settings.http_json_url or not settings.http_json_token:
        raise ConfigError(
            "the HTTP/JSON gateway needs http_json_url and http_json_token",
            field="http_json_url",
        )
    return HttpJsonGateway(
        settings.http_json_url,
        settings.http_json_token,
        sender=settings.http_json_from,
        signing_secret=settings.http_json_signing_secret,
        status_callback=settings.status_callback_url,
        opt_out_codes=settings.http_json_opt_out_codes,
        timeout=settings.timeout,
        connect_timeout=settings.connect_timeout,
        max_connections=settings.max_connections,
        transport=transport,
    )
