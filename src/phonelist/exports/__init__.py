"""Exports: contacts written to CSV, XLSX, vCard or JSON Lines, audited. See docs/files.md."""

from phonelist.exports.records import NUMBER_FORMATS, contact_record, default_columns
from phonelist.exports.service import ExportService, Progress

__all__ = ["NUMBER_FORMATS", "ExportService", "Progress", "contact_record", "default_columns"]
