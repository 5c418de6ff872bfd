"""A last line of defence for the logs: phone numbers and email addresses are masked.

phonelist's own log lines name routes, ids and counts, never what a person typed (the access
log shows route templates). This filter, on every handler ``phonelist serve`` configures, masks
anything shaped like a phone number or an email address that still reaches a log line: from a
library's message, an exception text, or a future log call that forgot the rule.
"""

from __future__ import annotations

import logging
import re

__all__ = ["PersonalDataFilter", "redact"]

# Seven or more digits, allowing the separators people write numbers with, and a leading +.
_NUMBER = re.compile(r"(?<![\w.])\+?\d(?:[\s().\-/]{0,2}\d){6,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# ULIDs and hex digests are ids, not numbers: keep them readable.
_ID = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{26}\b|\b[0-9a-f]{32,64}\b")


def redact(text: str) -> str:
    """``text`` with numbers shown as ``[number]`` and emails as ``[email]``."""
    kept: dict[str, str] = {}

    def keep(match: re.Match[str]) -> str:
        key = f"\x00{len(kept)}\x00"
        kept[key] = match.group(0)
        return key

    text = _ID.sub(keep, text)
    text = _EMAIL.sub("[email]", text)
    text = _NUMBER.sub("[number]", text)
    for key, value in kept.items():
        text = text.replace(key, value)
    return text


class PersonalDataFilter(logging.Filter):
    """Rewrites each record's message, with its arguments merged in, through :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
