"""The schema of public opt-in forms (issue 8): one form per list, and its submissions.

A form names the list it fills, the disclosure (versioned consent text) it shows, the purposes
it asks for, the countries whose numbers it accepts and the sites that may embed it. A
submission links a double opt-in request (C3) to the form and holds the hash of the code the
person may type instead of replying YES, and how many wrong codes were tried.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from phonelist.store.models import ID_LENGTH, Base, UTCDateTime

__all__ = ["OptInForm", "OptInSubmission"]


class OptInForm(Base):
    """A public form at ``/join/{slug}`` that starts a double opt-in for one list."""

    __tablename__ = "opt_in_forms"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    list_name: Mapped[str] = mapped_column(String(100))
    disclosure_name: Mapped[str] = mapped_column(String(100))  # shows its newest version
    purposes: Mapped[list[str]] = mapped_column(JSON)
    allowed_countries: Mapped[list[str]] = mapped_column(JSON)  # ISO 3166 alpha-2
    embed_origins: Mapped[list[str]] = mapped_column(JSON)  # CSP frame-ancestors
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))


class OptInSubmission(Base):
    """One submission of a form: the double opt-in request it opened, and its code."""

    __tablename__ = "opt_in_submissions"

    # No foreign key: erasure deletes consent requests (privacy/erase.py); a submission holds
    # no personal data (a code hash, a count, a contact id) and outlives it harmlessly.
    request_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    form_id: Mapped[str] = mapped_column(ForeignKey("opt_in_forms.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    contact_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
