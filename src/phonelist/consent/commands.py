"""The consent write path's commands: small frozen values, applied by ``ConsentService.apply``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "GRANT_METHODS",
    "REVOKE_METHODS",
    "Command",
    "ConfirmOptIn",
    "Grant",
    "RequestOptIn",
    "Revoke",
]

# C2: how consent was given. The last three are not express consent (C7, C8).
GRANT_METHODS = (
    "web_form",
    "keyword",
    "double_opt_in",
    "verbal",
    "paper",
    "import",
    "api",
    "soft_opt_in",
    "casl_implied_purchase",
    "casl_implied_inquiry",
)
# Methods that can carry prior express *written* consent (E-SIGN: a form, a keyword, a signature).
WRITTEN_METHODS = frozenset({"web_form", "keyword", "double_opt_in", "paper", "import", "api"})
# C6, O7, O8: every way an opt-out arrives.
REVOKE_METHODS = (
    "keyword",
    "review_default",
    "web",
    "agent",
    "api",
    "voice_agent",
    "voice_keypress",
    "provider",
    "import",
    "paper",
)


@dataclass(frozen=True, slots=True)
class Grant:
    """Record consent with its evidence (C1-C8). ``number`` is as typed; it is normalised."""

    number: str
    channel: str
    purpose: str
    method: str
    occurred_at: dt.datetime | None = None  # default: now
    sender: str | None = None
    disclosure: str | None = None  # a disclosure id, or a name (its newest version)
    affirmative_action: str | None = None  # what the person did: "ticked the box", "replied YES"
    checkbox_prechecked: bool = False  # C4: refused when true
    condition_of_purchase: bool = False  # C4: refused when true
    language: str | None = None
    source_url: str | None = None
    form_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    evidence_ref: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)  # C7 facts, recordings, ...


@dataclass(frozen=True, slots=True)
class Revoke:
    """Record an opt-out. By default it revokes every channel and purpose (O3)."""

    number: str
    method: str
    occurred_at: dt.datetime | None = None
    channel: str | None = None  # only with scope "one" (revocation_scope = "purpose")
    purpose: str | None = None
    affirmative_action: str | None = None
    evidence_ref: str | None = None
    scope: str = "all"


@dataclass(frozen=True, slots=True)
class RequestOptIn:
    """Start a double opt-in (C3): sends a request with no marketing and waits for YES."""

    number: str
    purposes: tuple[str, ...] = ("marketing",)
    channel: str = "sms"
    method: str = "web_form"
    disclosure: str | None = None
    sender: str | None = None
    source_url: str | None = None
    form_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    language: str | None = None
    checkbox_prechecked: bool = False
    condition_of_purchase: bool = False
    code: str | None = None  # also offered: a code to type on the web form (web/join.py)


@dataclass(frozen=True, slots=True)
class ConfirmOptIn:
    """The YES (or code) that completes a pending double opt-in, with the reply as evidence."""

    request_id: str
    reply_message_id: str | None
    occurred_at: dt.datetime
    reply_text: str


Command = Grant | Revoke | RequestOptIn | ConfirmOptIn
