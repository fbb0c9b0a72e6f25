"""dbt reuses the project's saved parse from build to build.

Each build writes a new building file (`.<name>.building-<build id>`); dbt opens it through the
stable link `.<name>.dbt`, so the profile dbt parsed the project with is the same next time and
the saved parse (partial_parse.msgpack) is taken as it is instead of parsing every file again.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from dagster_project import warehouse
from dagster_project.defs.transform.project import DBT_DIR, PARTIAL_PARSE, dbt_env, dbt_executable
from dagster_project.operate import publish


def _dbt_ls(target: Path, env: dict[str, str]) -> set[str]:
    """Run `dbt ls` into `target`; return the codes of the parse events dbt logged."""
    dbt = [
        str(dbt_executable()),
        "ls",
        "--project-dir",
        str(DBT_DIR),
        "--profiles-dir",
        str(DBT_DIR),
    ]
    logs = ["--target-path", str(target), "--log-path", str(target), "--log-format-file", "json"]
    subprocess.run(
        [*dbt, *logs, "--quiet"],
        env=env,
        cwd=target,
        check=True,
        capture_output=True,
    )
    events = (json.loads(line) for line in (target / "dbt.log").read_text().splitlines() if line)
    return {e["info"]["name"] for e in events if "Parsing" in e["info"]["name"]}


def _build_env(target: Path, build_id: str) -> dict[str, str]:
    building = publish.building_path(target, build_id)
    env = dbt_env()
    env[warehouse.WAREHOUSE_ENV] = str(building)
    env[warehouse.DBT_WAREHOUSE_ENV] = str(publish.link_for_dbt(building, target))
    return env


def test_a_second_build_takes_the_saved_parse(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    assert "PartialParsingSkipParsing" not in _dbt_ls(first, _build_env(target, "b1"))
    (second / PARTIAL_PARSE).write_bytes((first / PARTIAL_PARSE).read_bytes())
    assert "PartialParsingSkipParsing" in _dbt_ls(second, _build_env(target, "b2"))
