"""Live line checks (optional): is the line active, what type, reassigned since a date.

Nothing here runs unless a provider is configured (:func:`build_line_checks`); answers are
cached with their date in ``line_lookups``. Twilio Lookup v2 is the one provider today.
"""

from phonelist.lookup.base import LINE_TYPES, LineCheck, LineLookup
from phonelist.lookup.errors import LookupUnavailable
from phonelist.lookup.service import LineCheckService, LookupSettings, build_line_checks
from phonelist.lookup.twilio import DEFAULT_BASE_URL, TwilioLookup

__all__ = [
    "DEFAULT_BASE_URL",
    "LINE_TYPES",
    "LineCheck",
    "LineCheckService",
    "LineLookup",
    "LookupSettings",
    "LookupUnavailable",
    "TwilioLookup",
    "build_line_checks",
]
