"""The provincial inventory export (`lantian export --year YYYY`).

For one year, `export_inventory` writes into the output folder:
  lantian_<year>_inventory.xlsx   one worksheet per catalogue sheet, Chinese names and headers
  lantian_<year>_<key>.csv        per sheet: UTF-8 with BOM, CRLF, Chinese header row
  lantian_<year>_<key>.parquet    per sheet: English column names, Chinese header as metadata
  manifest.json                   source files with sha256, per file rows and sha256,
                                  per sheet rows, totals check against marts.emissions
The sheets, their SQL and headers are data in `catalogue.py`.
"""

from dagster_project.reports.export import (
    ExportTotalsMismatch,
    NoDataForYear,
    export_inventory,
    run_export_command,
)
from dagster_project.reports.extract import ExportContractError
from dagster_project.reports.manifest import ExportManifest

__all__ = [
    "ExportContractError",
    "ExportManifest",
    "ExportTotalsMismatch",
    "NoDataForYear",
    "export_inventory",
    "run_export_command",
]
