"""Shared fixtures: an isolated Dagster home per test session, and the repo's paths."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

import pytest

from dagster_project.dagster_home import DAGSTER_YAML

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SOURCES = REPO / "sources"
# A small county for whole builds run as operators run them (seconds of CPU, not minutes).
TINY_COUNTY = {"seed": 7, "start": date(2023, 11, 1), "days": 2, "enterprises": 12}


@pytest.fixture(scope="session", autouse=True)
def _isolated_dagster_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Runs launched by tests never touch the developer's .dagster_home."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)


@pytest.fixture(scope="session")
def tiny_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dagster_project.generator import generate

    out = tmp_path_factory.mktemp("tiny") / "sources"
    generate(out, **TINY_COUNTY)
    return out


def export_tree(folder: Path) -> dict[str, str]:
    """Every published export file (through the per-year folder links) -> sha256."""
    found = {}
    for root, _dirs, files in os.walk(folder, followlinks=True):
        for name in files:
            path = Path(root) / name
            relative = path.relative_to(folder)
            if relative.parts[0] != ".builds":  # staged folders are reached through the links
                found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found
