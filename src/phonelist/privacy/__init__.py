"""Privacy rights (COMPLIANCE.md P1): export everything phonelist holds about one person."""

from phonelist.privacy.render import render_html
from phonelist.privacy.service import EXPORT_FORMAT, SECTIONS, PrivacyService

__all__ = ["EXPORT_FORMAT", "SECTIONS", "PrivacyService", "render_html"]
