"""Run the dbt project on Apache Spark (dbt-spark) over the Parquet lake.

The `spark` target of dbt/profiles.yml reads its settings from the environment: the lake
(LANTIAN_LAKE), the session's metastore and tables (LANTIAN_SPARK_HOME, default `spark/` in
the state folder `.lantian/`), and LANTIAN_SPARK_METHOD (`session` here; `thrift` for a
cluster, see the README).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster_project import paths

DBT_DIR = paths.project_file("dbt")
TARGET_ENV = "LANTIAN_DBT_TARGET"
SPARK_HOME_ENV = "LANTIAN_SPARK_HOME"
LAKE_ENV = "LANTIAN_LAKE"
SPARK_TARGET = "spark"


class SparkBuildFailed(RuntimeError):
    """dbt on Spark did not finish; the message carries the tail of its log."""


def spark_home() -> Path:
    """LANTIAN_SPARK_HOME, else `spark/` in the state folder (.lantian/ beside the warehouse)."""
    return Path(os.environ.get(SPARK_HOME_ENV) or paths.state_dir() / "spark").resolve()


def lake_path() -> Path:
    return Path(os.environ.get(LAKE_ENV, spark_home() / "lake")).resolve()


def missing_requirements() -> str | None:
    """Why a local Spark session cannot run here, or None when it can."""
    if shutil.which("java") is None:
        return "no Java runtime on PATH (Spark needs Java 17)"
    for module, extra in (("pyspark", "pyspark"), ("dbt.adapters.spark", "dbt-spark")):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"{extra} is not installed (uv sync --extra spark)"
    return None


def spark_env(lake: Path, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            TARGET_ENV: SPARK_TARGET,
            LAKE_ENV: str(lake),
            SPARK_HOME_ENV: str(home),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_VERSION_CHECK": "false",
            "DBT_USE_COLORS": "false",
        }
    )
    return env


def run_dbt(
    args: list[str],
    *,
    lake: Path | None = None,
    home: Path | None = None,
    log: Path | None = None,
    settings: dict[str, str] | None = None,
) -> str:
    """`dbt <args>` on the spark target; the console output is returned (and written to `log`).

    `settings`: further LANTIAN_SPARK_* variables for this run (see dbt/profiles.yml).
    """
    lake = (lake or lake_path()).resolve()
    home = (home or spark_home()).resolve()
    home.mkdir(parents=True, exist_ok=True)
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt),
        *args,
        "--project-dir",
        str(DBT_DIR),
        "--profiles-dir",
        str(DBT_DIR),
        "--target-path",
        str(home / "dbt-target"),
        "--log-path",
        str(home / "dbt-logs"),
    ]
    # The session's JVM starts in the working directory: keep anything it drops inside `home`.
    result = subprocess.run(
        command,
        cwd=home,
        env={**spark_env(lake, home), **(settings or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    if log is not None:
        log.write_text(output)
    if result.returncode != 0:
        raise SparkBuildFailed(f"dbt {' '.join(args)} failed on Spark:\n{output[-3000:]}")
    return output


# Seeds and models in one dbt process: one JVM start, one parse, one on-run-start (the session's
# lake views and rounding functions), instead of `dbt seed` then `dbt run`.
BUILD_ARGS = ["build", "--resource-type", "seed", "--resource-type", "model"]


def build_project(lake: Path, home: Path) -> None:
    """Seed and run every model on Spark over `lake`; dbt's output in `home`/dbt-build.log."""
    run_dbt(BUILD_ARGS, lake=lake, home=home, log=home / "dbt-build.log")
