"""`lantian receive` starts without Dagster or dbt and refuses unsafe configurations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dagster_project.cli import main
from tests.receiver.conftest import Site

REPO = Path(__file__).resolve().parents[2]


def test_receive_imports_no_dagster_or_dbt() -> None:
    code = (
        "import sys; from dagster_project.cli import build_parser; build_parser(); "
        "import dagster_project.receiver.cli, dagster_project.receiver.server; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dagster', 'dbt', 'polars', "
        "'dagster_dbt', 'great_expectations'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_credentials_inside_sources_are_refused(site: Site, capsys) -> None:
    inside = site.sources / "registry" / "creds.csv"
    inside.write_text(site.credentials.read_text())
    argv = ["receive", "--landing", str(site.landing), "--sources", str(site.sources)]
    assert main([*argv, "--credentials", str(inside)]) == 2
    err = capsys.readouterr().err
    assert "outside the sources folder" in err and "pwA" not in err


def test_missing_registry_is_a_clear_error(tmp_path: Path, capsys) -> None:
    creds = tmp_path / "creds.csv"
    creds.write_text("mn,pw\n")
    argv = ["receive", "--landing", str(tmp_path / "l"), "--sources", str(tmp_path / "nope")]
    assert main([*argv, "--credentials", str(creds)]) == 2
    assert "no outlet registry" in capsys.readouterr().err
