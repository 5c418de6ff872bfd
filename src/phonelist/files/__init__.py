"""Contact files: reading CSV/TSV, XLSX, vCard and JSON Lines safely, mapping their headers to
contact fields, and writing exports. See docs/files.md.

The importer reads through :func:`open_table` and :func:`auto_map`; exports write through
:func:`open_writer`. Every problem with a file is a :class:`FileRejected` with a stable code.
"""

from phonelist.files import limits
from phonelist.files.errors import FileRejected
from phonelist.files.layout import (
    custom_field_name,
    join_list,
    neutralize_formula,
    restore_formula,
    split_list,
)
from phonelist.files.mapping import ColumnMapping, auto_map
from phonelist.files.readers import FORMATS, Table, open_table
from phonelist.files.writers import EXPORT_FORMATS, RecordWriter, export_format, open_writer

__all__ = [
    "EXPORT_FORMATS",
    "FORMATS",
    "ColumnMapping",
    "FileRejected",
    "RecordWriter",
    "Table",
    "auto_map",
    "custom_field_name",
    "export_format",
    "join_list",
    "limits",
    "neutralize_formula",
    "open_table",
    "open_writer",
    "restore_formula",
    "split_list",
]
