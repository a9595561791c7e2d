"""Bulk import: an ERP export (CSV or XLSX) to the ledger through the party's gateway.

    tracenet import shipments deliveries.xlsx --mapping sap.yaml --check
    tracenet import shipments deliveries.xlsx

Columns per kind are documented in erp/COLUMNS.md (``KINDS``); quantities carry their unit and
become integer grams exactly; each row's Idempotency-Key derives from the file's SHA-256 and
the row, so running a file twice, or resuming it after a crash, records nothing twice.
"""

from tracenet.erp._cells import UNITS, parse_date, parse_grams, parse_hash
from tracenet.erp._columns import KINDS, NOT_IMPORTABLE, Column, Kind, build
from tracenet.erp._read import Table, load_mapping, read_table
from tracenet.erp._settings import ImportSettings
from tracenet.erp.errors import ErpError, FileError, GatewayUnavailable, RowError

__all__ = [
    "KINDS",
    "NOT_IMPORTABLE",
    "UNITS",
    "Column",
    "ErpError",
    "FileError",
    "GatewayUnavailable",
    "ImportSettings",
    "Kind",
    "RowError",
    "Table",
    "build",
    "load_mapping",
    "parse_date",
    "parse_grams",
    "parse_hash",
    "read_table",
]
