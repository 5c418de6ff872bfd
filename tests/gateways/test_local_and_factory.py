"""The console and file gateways, the settings and the factory."""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path

import httpx
import pytest

from phonelist.errors import ConfigError
from phonelist.gateways import (
    ConsoleGateway,
    FileGateway,
    GatewaySettings,
    HttpJsonGateway,
    Outbound,
    RecordingGateway,
    TwilioGateway,
    build_gateway,
    close_gateway,
)
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio


def test_console_prints_one_line_per_message() -> None:
    out = io.StringIO()
    gateway = ConsoleGateway(out)
    first = gateway.send(Outbound("+14155550100", "Hello", sender="+15005550006", kind="help"))
    gateway.send(Outbound("+14155550101", "Bye"))
    lines = out.getvalue().splitlines()
    assert lines == [
        "[console-1] +15005550006 -> +14155550100 (help): Hello",
        "[console-2] default sender -> +14155550101 (reply): Bye",
    ]
    assert first.provider_ref == "console-1"


def test_console_writes_to_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleGateway().send(Outbound("+14155550100", "Hello"))
    assert "+14155550100" in capsys.readouterr().out


def test_file_appends_json_lines_and_honours_keys(tmp_path: Path) -> None:
    path = tmp_path / "out" / "sms.jsonl"
    gateway = FileGateway(path)
    a = gateway.send(Outbound("+14155550100", "Hé", idempotency_key="k1"))
    b = gateway.send(Outbound("+14155550100", "Hé", idempotency_key="k1"))
    c = gateway.send(Outbound("+14155550101", "Two", status_callback="https://x.test/cb"))
    assert a == b
    assert c.provider_ref == "file-2"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["file-1", "file-2"]
    assert lines[0]["body"] == "Hé"
    assert lines[1]["status_callback"] == "https://x.test/cb"


def test_default_is_recording() -> None:
    assert isinstance(build_gateway(GatewaySettings()), RecordingGateway)


def test_builds_each_kind(tmp_path: Path) -> None:
    out = io.StringIO()
    console = build_gateway(GatewaySettings(kind="console"), stream=out)
    console.send(Outbound("+14155550100", "x"))
    assert out.getvalue()
    file = build_gateway(GatewaySettings(kind="file", file_path=tmp_path / "f.jsonl"))
    assert isinstance(file, FileGateway)
    relay = build_gateway(
        GatewaySettings(kind="http_json", http_json_url="http://r.test/send", http_json_token="t")
    )
    assert isinstance(relay, HttpJsonGateway)
    close_gateway(relay)
    close_gateway(console)  # nothing to close: no error


def test_twilio_from_settings_sends_to_the_fake(fake_twilio: FakeTwilio) -> None:
    settings = GatewaySettings.from_mapping(
        {
            "kind": "twilio",
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_from": "+15005550006",
            "twilio_base_url": fake_twilio.base_url,
            "status_callback_url": "https://p.example.com/cb",
            "timeout": "3",
        }
    )
    gateway = build_gateway(settings)
    assert isinstance(gateway, TwilioGateway)
    try:
        gateway.send(Outbound("+14155550100", "Hi"))
    finally:
        close_gateway(gateway)
    [message] = fake_twilio.messages
    assert message.status_callback == "https://p.example.com/cb"


def test_secrets_stay_out_of_repr() -> None:
    settings = GatewaySettings(
        kind="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token="tok-secret",
        twilio_api_key_secret="key-secret",
        http_json_token="json-secret",
        http_json_signing_secret="sign-secret",
    )
    text = repr(settings)
    assert ACCOUNT_SID in text
    for secret in ("tok-secret", "key-secret", "json-secret", "sign-secret"):
        assert secret not in text


def test_from_env() -> None:
    settings = GatewaySettings.from_env(
        {
            "PHONELIST_GATEWAY": "http_json",
            "PHONELIST_GATEWAY_HTTP_JSON_URL": "http://r.test/send",
            "PHONELIST_GATEWAY_HTTP_JSON_TOKEN": "t",
            "PHONELIST_GATEWAY_HTTP_JSON_OPT_OUT_CODES": "stop, 21610",
            "PHONELIST_GATEWAY_MAX_CONNECTIONS": "8",
            "PHONELIST_GATEWAY_FILE_PATH": "/tmp/x.jsonl",
            "UNRELATED": "1",
        }
    )
    assert settings.kind == "http_json"
    assert settings.http_json_opt_out_codes == ("stop", "21610")
    assert settings.max_connections == 8
    assert settings.file_path == Path("/tmp/x.jsonl")
    assert GatewaySettings.from_env({}).kind == "recording"


@pytest.mark.parametrize(
    "values",
    [
        {"kind": "carrier-pigeon"},
        {"no_such_setting": "1"},
        {"timeout": "soon"},
        {"timeout": "0"},
        {"max_connections": "0"},
        {"max_connections": True},
        {"twilio_account_sid": 123},
    ],
)
def test_bad_settings(values: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        GatewaySettings.from_mapping(values)


@pytest.mark.parametrize(
    "settings",
    [
        GatewaySettings(kind="file"),
        GatewaySettings(kind="twilio"),
        GatewaySettings(kind="twilio", twilio_account_sid=ACCOUNT_SID),  # no token, no sender
        GatewaySettings(kind="http_json", http_json_url="http://r.test/send"),
    ],
)
def test_incomplete_settings_are_refused(settings: GatewaySettings) -> None:
    with pytest.raises(ConfigError):
        build_gateway(settings, transport=httpx.MockTransport(lambda r: httpx.Response(500)))


@pytest.mark.parametrize(
    "module",
    [
        "phonelist.gateways",
        "phonelist.gateways.base",
        "phonelist.gateways.console",
        "phonelist.gateways.factory",
        "phonelist.gateways.http_json",
        "phonelist.gateways.signatures",
        "phonelist.gateways.twilio",
    ],
)
def test_exports(module: str) -> None:
    loaded = importlib.import_module(module)
    assert loaded.__all__
    for name in loaded.__all__:
        assert hasattr(loaded, name), name
