"""Webhook signatures: Twilio's ``X-Twilio-Signature`` and phonelist's own HMAC-SHA256 scheme.

Pure functions: the secret, the request and the time are passed in, and every comparison is in
constant time.

Twilio (form webhooks): ``base64(HMAC-SHA1(auth_token, url + name1 + value1 + name2 + ...))``
with the POST parameters sorted by name (repeated names: distinct values, sorted). JSON webhooks
carry ``bodySHA256=<hex sha256 of the body>`` in the URL's query instead and the signature covers
the URL alone. Twilio signs the URL it was configured with; behind a proxy, pass that public URL.
Like Twilio's libraries, the URL is also tried without its port and with the scheme's standard
port (``:443``/``:80``), since proxies and Twilio disagree about showing it.

phonelist HMAC (HTTP/JSON gateway): ``X-Phonelist-Signature: t=<unix seconds>,v1=<hex>`` where
``hex = HMAC-SHA256(secret, "<t>." + body)``. Several ``v1`` entries may be given (while a secret
is being rotated). A timestamp more than ``tolerance`` seconds from now is refused, so a captured
request cannot be replayed later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit, urlunsplit

__all__ = [
    "PHONELIST_SIGNATURE_HEADER",
    "TWILIO_SIGNATURE_HEADER",
    "header",
    "sign_hmac",
    "twilio_signature",
    "verify_hmac",
    "verify_twilio",
    "verify_twilio_json",
]

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
PHONELIST_SIGNATURE_HEADER = "X-Phonelist-Signature"
DEFAULT_TOLERANCE = 300.0  # seconds: five minutes either side of now

Params = Mapping[str, str] | Iterable[tuple[str, str]]


def header(headers: Mapping[str, str], name: str) -> str | None:
    """``headers[name]`` ignoring case (HTTP header names are case-insensitive)."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, found in headers.items():
        if key.lower() == wanted:
            return found
    return None


def _pairs(params: Params) -> list[tuple[str, str]]:
    return list(params.items()) if isinstance(params, Mapping) else list(params)


def twilio_signature(auth_token: str, url: str, params: Params = ()) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for a POST of ``params`` to ``url``."""
    # repeated names: each distinct value once, sorted, as Twilio's own libraries do
    data = url + "".join(name + value for name, value in sorted(set(_pairs(params))))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    """``url`` as given, without its port, and with the scheme's standard port."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    if default is None or not parts.hostname:
        return [url]
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host = hostport.rsplit(":", 1)[0] if parts.port is not None else hostport
    variants = [url, urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}"))]
    if parts.port is None:
        variants.append(urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}:{default}")))
    return list(dict.fromkeys(variants))


def verify_twilio(auth_token: str, url: str, params: Params, signature: str | None) -> bool:
    """True when ``signature`` is Twilio's for this form POST. Missing or empty: False."""
    if not signature or not auth_token:
        return False
    pairs = _pairs(params)
    return any(
        hmac.compare_digest(twilio_signature(auth_token, candidate, pairs), signature)
        for candidate in _url_variants(url)
    )


def verify_twilio_json(auth_token: str, url: str, body: bytes, signature: str | None) -> bool:
    """True for a Twilio JSON webhook: the URL's ``bodySHA256`` matches and the URL is signed."""
    if not signature or not auth_token:
        return False
    claimed = dict(parse_qsl(urlsplit(url).query)).get("bodySHA256")
    if claimed is None:
        return False
    actual = hashlib.sha256(body).hexdigest()
    if not hmac.compare_digest(actual, claimed.lower()):
        return False
    return verify_twilio(auth_token, url, (), signature)


def sign_hmac(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Phonelist-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    return f"t={timestamp},v1={_hmac_hex(secret, body, timestamp)}"


def _hmac_hex(secret: str, body: bytes, timestamp: int) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_hmac(
    secret: str,
    body: bytes,
    signature: str | None,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> bool:
    """True when ``signature`` signs ``body`` with ``secret`` and its time is within tolerance."""
    if not signature or not secret:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates or abs(now - timestamp) > tolerance:
        return False
    expected = _hmac_hex(secret, body, timestamp)
    # compare against every candidate (no early exit) so timing says nothing about which matched
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    return any(matches)
