"""Bulk import of contacts from spreadsheets, vCards and JSON Lines."""

from phonelist.imports.options import ConsentBasis, ImportOptions
from phonelist.imports.report import Counts, ImportReport
from phonelist.imports.service import ImportService

__all__ = ["ConsentBasis", "Counts", "ImportOptions", "ImportReport", "ImportService"]
