"""The privacy export as one self-contained HTML page: no scripts, no links out, inline CSS.

Every value is escaped by Jinja2's autoescape: names, notes and messages come from people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

__all__ = ["render_html"]

_ENV = Environment(
    loader=PackageLoader("phonelist.privacy", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(export: Mapping[str, Any]) -> str:
    """The export built by :meth:`~phonelist.privacy.PrivacyService.export`, as a page."""
    return _ENV.get_template("export.html").render(export=export, sections=export["sections"])
