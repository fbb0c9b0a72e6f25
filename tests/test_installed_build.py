"""lantian as a wheel in a fresh venv, run from `/` with a bare environment, on hostile input.

This is how cron or a systemd timer runs an installed tool: `env -i PATH=/usr/bin:/bin
/opt/lantian/bin/lantian build --sources DIR`, no activated venv, no HOME, nothing on PATH but
the system's. The wheel is built with `uv build`; its dependencies come from the project's lock
out of uv's cache (no network: `make setup` filled the cache). The county's names are hostile
(spreadsheet formulas, HTML), so the same build shows that outputs treat input as data.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO

HOSTILE = (
    '=HYPERLINK("http://x.example","点击")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "<script>alert('孟州')</script>",
    '<img src=x onerror="alert(1)">',
)


FAST = ("--no-compile-bytecode", "--python", sys.executable)


def _uv() -> str:
    found = shutil.which("uv") or str(REPO / ".bootstrap" / "bin" / "uv")
    assert Path(found).exists(), "uv not found: run `make setup`"
    return found


def _site_files(venv: Path) -> set[str]:
    package = next(venv.glob("lib/python*/site-packages/dagster_project"))
    return {
        str(p.relative_to(package))
        for p in package.rglob("*")
        if "__pycache__" not in p.parts and p.is_file()
    }


def _hostile_county(tiny_county: Path, sources: Path) -> list[str]:
    """The tiny county with every enterprise renamed to one of the hostile names."""
    shutil.copytree(tiny_county, sources)
    path = sources / "registry" / "enterprises.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    names = []
    for i, row in enumerate(rows):
        row["name"] = f"{HOSTILE[i % len(HOSTILE)]}{i}"
        names.append(row["name"])
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return names


@dataclass
class Installed:
    venv: Path
    county: Path
    names: list[str]
    result: subprocess.CompletedProcess[str]
    package_before: set[str]
    package_after: set[str]


@pytest.fixture(scope="module")
def installed(tiny_county: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("installed")
    uv = _uv()
    quiet = {"capture_output": True, "text": True, "check": True}
    subprocess.run([uv, "build", "--wheel", "--out-dir", str(tmp / "dist")], cwd=REPO, **quiet)
    venv = tmp / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)}
    subprocess.run(
        [uv, "sync", "--locked", "--no-dev", "--no-install-project", "--offline", *FAST],
        cwd=REPO,
        env=env,
        **quiet,
    )
    (wheel,) = (tmp / "dist").glob("lantian-*.whl")
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--offline",
            "--no-deps",
            "--python",
            str(venv / "bin" / "python"),
            str(wheel),
        ],
        **quiet,
    )
    county = tmp / "county"
    names = _hostile_county(tiny_county, county / "sources")
    before = _site_files(venv)
    sources = ["--sources", str(county / "sources")]
    result = subprocess.run(
        ["env", "-i", "PATH=/usr/bin:/bin", str(venv / "bin" / "lantian"), "build", *sources],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return Installed(venv, county, names, result, before, _site_files(venv))


def test_the_installed_wheel_builds_from_root_in_a_bare_environment(installed: Installed) -> None:
    assert installed.result.returncode == 0, installed.result.stderr
    county = installed.county
    assert (county / "warehouse.duckdb").exists()  # beside the sources folder, not in /
    assert (county / ".lantian" / "dagster_home").is_dir()
    assert (county / "exports" / "2023" / "manifest.json").exists()
    assert "dbt build" in installed.result.stdout
    # nothing was written into the installed package (dbt artifacts, logs, manifests)
    assert installed.package_after == installed.package_before
    assert "_project/dbt/dbt_project.yml" in installed.package_before


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def test_csv_cells_that_would_run_as_formulas_are_neutralised(installed: Installed) -> None:
    rows = _csv(installed.county / "exports" / "2023" / "lantian_2023_overview.csv")
    exported = {r["企业名称"] for r in rows}
    for name in installed.names:
        shown = "'" + name if name[0] in "=+-@" else name
        assert shown in exported, name
    assert not any(v[:1] in "=+-@" for r in rows for v in r.values() if v)


def test_parquet_and_xlsx_keep_the_raw_text_as_text(installed: Installed) -> None:
    folder = installed.county / "exports" / "2023"
    table = pq.read_table(folder / "lantian_2023_overview.parquet")
    assert set(table["enterprise_name"].to_pylist()) == set(installed.names)
    book = openpyxl.load_workbook(folder / "lantian_2023_inventory.xlsx")
    sheet = book["企业清单"]
    header = [c.value for c in sheet[1]]
    column = header.index("企业名称") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    assert {c.value for c in cells} == set(installed.names)
    assert all(c.data_type == "s" for c in cells)  # strings, never formulas


def test_html_reports_escape_input_text(installed: Installed) -> None:
    reports = installed.county / "exports" / "reports"
    pages = [p.read_text(encoding="utf-8") for p in sorted(reports.glob("*.html"))]
    assert pages
    text = "\n".join(pages)
    assert "<script>alert(" not in text and '<img src=x onerror="alert(1)">' not in text
    assert "&lt;script&gt;alert(" in text or "&lt;img src=x" in text
