"""A scratch dbt project for tests that build some of the project's models over stub models."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.defs.transform.project import DBT_DIR, dbt_env, dbt_executable

# The stub of int_cems__hourly_pollutants the CEMS incremental tests write (main.hours_in).
POLLUTANT_HOURS = (
    "mn varchar, pollutant_code varchar, hour_start timestamp, is_valid boolean, flag varchar, "
    "is_operating boolean, mass_kg double, avg_measured double, avg_converted double"
)


def scratch_project(project: Path, stubs: dict[str, str], body: str, warehouse: str) -> Path:
    """A dbt project at `project` named as ours (its macros resolve as in the project), with the
    project's macros, each stub as models/stubs/<name>.sql, `body` (YAML: models, seeds, hooks)
    below the project's header, and a DuckDB profile on `warehouse` (a path or a Jinja
    expression). The caller copies the models under test in."""
    shutil.copytree(DBT_DIR / "macros", project / "macros")
    (project / "models" / "stubs").mkdir(parents=True)
    for name, sql in stubs.items():
        (project / "models" / "stubs" / f"{name}.sql").write_text(textwrap.dedent(sql))
    header = textwrap.dedent("""\
        name: lantian
        version: "1.0.0"
        config-version: 2
        profile: lantian
        flags: {send_anonymous_usage_stats: false}
        """)
    (project / "dbt_project.yml").write_text(header + textwrap.dedent(body))
    output = {"type": "duckdb", "path": warehouse, "threads": 1, "extensions": []}
    (project / "profiles.yml").write_text(
        f"lantian:\n  target: w\n  outputs:\n    w: {json.dumps(output)}\n"
    )
    return project


def run_dbt(project: Path, env: dict[str, str], *args: str) -> None:
    """`dbt run` of a scratch project in its own process (its DuckDB file closed when it ends),
    with `env` added to dbt's environment (the profile's warehouse variable)."""
    folders = ["--project-dir", str(project), "--profiles-dir", str(project)]
    folders += ["--target-path", str(project / "target"), "--log-path", str(project / "logs")]
    subprocess.run(
        [str(dbt_executable()), "run", *folders, *args],
        env={**dbt_env(), **env},
        check=True,
        capture_output=True,
    )


def write_pollutant_hours(warehouse: Path, rows: Sequence[tuple], rebuild: Sequence[date]) -> None:
    """Add `rows` (POLLUTANT_HOURS) to the stub of the pollutant hours and make `rebuild` the
    days to rebuild (audit.cems_rebuild_days), as the CEMS ingest leaves them."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"create table if not exists main.hours_in ({POLLUTANT_HOURS})")
        con.executemany("insert into main.hours_in values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("create schema if not exists audit")
        con.execute("create or replace table audit.cems_rebuild_days (day date)")
        con.executemany("insert into audit.cems_rebuild_days values (?)", [(d,) for d in rebuild])
    finally:
        con.close()
