"""The shapes of the export catalogue: column kinds, source tables, output columns, sheets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """Export type of a column; every value is cast to it so files never depend on mart types."""

    TEXT = "varchar"
    INT = "bigint"
    FLOAT = "double"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOL = "boolean"


@dataclass(frozen=True)
class SourceTable:
    name: str  # schema.table
    columns: Mapping[str, Kind]  # the columns the export reads, and their export types


@dataclass(frozen=True)
class OutputColumn:
    name: str  # English name, used in Parquet and as the key of the header mapping
    header: str  # Chinese header in xlsx and CSV
    kind: Kind


@dataclass(frozen=True)
class Sheet:
    key: str  # ASCII file stem: lantian_<year>_<key>.csv / .parquet
    title: str  # Chinese sheet name (≤ 31 characters, Excel's limit)
    sources: tuple[str, ...]  # every table the query reads (keys of SOURCES)
    query: str  # SQL with `$year`; yields the output columns by name
    columns: tuple[OutputColumn, ...]
    order_by: tuple[str, ...]  # a unique key of the output, for a stable row order
    year_scope: str  # how the year applies, recorded in the manifest
