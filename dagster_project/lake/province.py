"""The province registry: the counties a provincial build covers and where their feeds are.

A CSV with a header `county_code,county_name,sources` (one county a line; `sources` is the
county's sources folder, relative to the registry file unless absolute). The county code is the
six-digit GB/T 2260 code that names the county's lake partition (`county=<code>`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("county_code", "county_name", "sources")
_CODE = re.compile(r"[0-9]{6}")


class RegistryError(ValueError):
    """The registry file is missing, malformed, or names a county twice."""


@dataclass(frozen=True)
class County:
    code: str
    name: str
    sources: Path


def read_registry(path: Path) -> list[County]:
    """The registry's counties, in file order; RegistryError (with the line) on a bad row."""
    if not path.is_file():
        raise RegistryError(f"province registry not found: {path}")
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise RegistryError(f"{path}: header must be {','.join(COLUMNS)}")
        counties: list[County] = []
        for line, row in enumerate(reader, start=2):
            code = (row["county_code"] or "").strip()
            if not _CODE.fullmatch(code):
                raise RegistryError(f"{path}:{line}: county_code {code!r} is not six digits")
            if any(c.code == code for c in counties):
                raise RegistryError(f"{path}:{line}: county {code} is listed twice")
            folder = Path((row["sources"] or "").strip())
            if not str(folder) or str(folder) == ".":
                raise RegistryError(f"{path}:{line}: county {code} has no sources folder")
            sources = folder if folder.is_absolute() else path.parent / folder
            counties.append(County(code, (row["county_name"] or "").strip(), sources.resolve()))
    if not counties:
        raise RegistryError(f"{path}: no county listed")
    return counties
