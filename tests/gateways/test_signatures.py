"""Webhook signatures: Twilio's published vectors, tampering, the HMAC scheme's replay window."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phonelist.gateways.signatures import (
    header,
    sign_hmac,
    twilio_signature,
    verify_hmac,
    verify_twilio,
    verify_twilio_json,
)

# The worked example of Twilio's request-validation docs and helper-library tests.
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilio_documented_vector() -> None:
    assert twilio_signature(TOKEN, URL, PARAMS) == SIGNATURE
    assert verify_twilio(TOKEN, URL, PARAMS, SIGNATURE)
    # the order the form arrived in does not matter
    assert verify_twilio(TOKEN, URL, list(reversed(PARAMS.items())), SIGNATURE)


def test_twilio_repeated_parameters_vector() -> None:
    params = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"),
              ("Digits", "1234"), ("Digits", "1234")]  # fmt: skip
    assert verify_twilio(TOKEN, URL, params, "IK+Dwps556ElfBT0I3Rgjkr1wJU=")


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        # signed with the standard port, received without it
        (URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),
        (URL.replace("https", "http"), "0ZXoZLH/DfblKGATFgpif+LLRf4="),
        # signed without the port, received with one
        (URL.replace(".com", ".com:1234"), SIGNATURE),
        (URL.replace(".com", ".com:1234").replace("https", "http"), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
        # credentials in the URL are part of what is signed
        ("https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", "CukzLTc1tT5dXEDIHm/tKBanW10="),
        ("https://user@mycompany.com/myapp.php?foo=1&bar=2", "2YRLlVAflCqxaNicjMpJcSTgzSs="),
        ("https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="),
    ],
)
def test_twilio_port_and_credential_vectors(url: str, signature: str) -> None:
    assert verify_twilio(TOKEN, url, PARAMS, signature)


@pytest.mark.parametrize(
    ("token", "url", "params", "signature"),
    [
        ("wrong-token", URL, PARAMS, SIGNATURE),
        (TOKEN, URL + "&extra=1", PARAMS, SIGNATURE),
        (TOKEN, URL.replace("myapp", "other"), PARAMS, SIGNATURE),
        (TOKEN, URL.replace("https", "http"), PARAMS, SIGNATURE),
        (TOKEN, URL, {**PARAMS, "Digits": "9999"}, SIGNATURE),
        (TOKEN, URL, {**PARAMS, "Body": "STOP"}, SIGNATURE),
        (TOKEN, URL, {k: v for k, v in PARAMS.items() if k != "To"}, SIGNATURE),
        (TOKEN, URL, PARAMS, None),
        (TOKEN, URL, PARAMS, ""),
        (TOKEN, URL, PARAMS, "FAIL"),
        (TOKEN, URL, PARAMS, SIGNATURE.lower()),
        ("", URL, PARAMS, twilio_signature("", URL, PARAMS)),  # no token: nothing verifies
    ],
)
def test_twilio_tampering_is_refused(
    token: str, url: str, params: dict[str, str], signature: str | None
) -> None:
    assert not verify_twilio(token, url, params, signature)


def test_twilio_json_body_vector() -> None:
    body = b'{"property": "value", "boolean": true}'
    digest = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    assert hashlib.sha256(body).hexdigest() == digest
    url = f"{URL}&bodySHA256={digest}"
    signature = "a9nBmqA0ju/hNViExpshrM61xv4="
    assert verify_twilio_json(TOKEN, url, body, signature)
    assert not verify_twilio_json(TOKEN, url, body + b" ", signature)  # body changed
    assert not verify_twilio_json(TOKEN, URL, body, SIGNATURE)  # no bodySHA256 in the URL
    assert not verify_twilio_json("other", url, body, signature)
    assert not verify_twilio_json(TOKEN, url, body, None)


def test_header_lookup_ignores_case() -> None:
    assert header({"x-twilio-signature": "a"}, "X-Twilio-Signature") == "a"
    assert header({"X-Twilio-Signature": "b"}, "X-Twilio-Signature") == "b"
    assert header({}, "X-Twilio-Signature") is None


SECRET = "whsec-test"
BODY = b'{"id": "m1", "status": "delivered"}'
T = 1_764_300_000


def test_hmac_round_trip_and_format() -> None:
    signature = sign_hmac(SECRET, BODY, T)
    assert signature.startswith(f"t={T},v1=")
    assert len(signature.split("v1=")[1]) == 64
    assert verify_hmac(SECRET, BODY, signature, now=T)


@pytest.mark.parametrize(
    ("secret", "body", "now", "signature"),
    [
        ("wrong", BODY, T, sign_hmac(SECRET, BODY, T)),
        (SECRET, BODY + b" ", T, sign_hmac(SECRET, BODY, T)),
        (SECRET, BODY, T, None),
        (SECRET, BODY, T, ""),
        (SECRET, BODY, T, "v1=" + sign_hmac(SECRET, BODY, T).split("v1=")[1]),  # no t
        (SECRET, BODY, T, f"t={T}"),  # no v1
        (SECRET, BODY, T, f"t=abc,v1={'0' * 64}"),
        (SECRET, BODY, T, sign_hmac(SECRET, BODY, T + 1).replace(f"t={T + 1}", f"t={T}")),
        ("", BODY, T, sign_hmac("", BODY, T)),
    ],
)
def test_hmac_refuses_wrong_or_missing(
    secret: str, body: bytes, now: int, signature: str | None
) -> None:
    assert not verify_hmac(secret, body, signature, now=now)


def test_hmac_replay_window() -> None:
    signature = sign_hmac(SECRET, BODY, T)
    assert verify_hmac(SECRET, BODY, signature, now=T + 300)
    assert verify_hmac(SECRET, BODY, signature, now=T - 300)  # a sender clock a little ahead
    assert not verify_hmac(SECRET, BODY, signature, now=T + 301)  # replayed later
    assert not verify_hmac(SECRET, BODY, signature, now=T - 301)
    assert verify_hmac(SECRET, BODY, signature, now=T + 1000, tolerance=1000)


def test_hmac_accepts_any_of_several_v1_while_rotating() -> None:
    new = sign_hmac("new-secret", BODY, T).split("v1=")[1]
    old = sign_hmac(SECRET, BODY, T).split("v1=")[1]
    both = f"t={T},v1={new},v1={old}"
    assert verify_hmac(SECRET, BODY, both, now=T)
    assert verify_hmac("new-secret", BODY, both, now=T)
    assert not verify_hmac("third", BODY, both, now=T)


@given(secret=st.text(min_size=1), body=st.binary(), flip=st.integers(min_value=0))
def test_hmac_any_changed_byte_is_refused(secret: str, body: bytes, flip: int) -> None:
    signature = sign_hmac(secret, body, T)
    assert verify_hmac(secret, body, signature, now=T)
    if body:
        i = flip % len(body)
        changed = body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1 :]
        assert not verify_hmac(secret, changed, signature, now=T)
