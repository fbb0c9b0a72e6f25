"""The dbt project and its manifest, parsed on demand so a fresh clone needs no manual step."""

import fcntl
import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.warehouse import PROJECT_ROOT

DBT_DIR = PROJECT_ROOT / "dbt"

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR, target_path=Path("target"))


def _newest_source_mtime() -> float:
    files = [DBT_DIR / "dbt_project.yml", DBT_DIR / "profiles.yml"]
    for folder in ("models", "seeds", "macros", "tests"):
        files += [p for p in (DBT_DIR / folder).rglob("*") if p.is_file()]
    return max((p.stat().st_mtime for p in files if p.exists()), default=0.0)


def dbt_env() -> dict[str, str]:
    """Environment for every dbt invocation: no telemetry, no version check, no colours."""
    env = dict(os.environ)
    env.update(
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_VERSION_CHECK="false",
        DBT_USE_COLORS="false",
        DBT_PARTIAL_PARSE="true",
    )
    return env


def ensure_manifest() -> Path:
    """Run `dbt parse` when the manifest is missing or older than the dbt sources.

    Serialised with a file lock: parallel test workers (or a build beside the UI) share dbt/target.
    """
    manifest = dbt_project.manifest_path
    (DBT_DIR / "target").mkdir(exist_ok=True)
    with open(DBT_DIR / "target" / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
            _parse()
    return manifest


def _parse() -> None:
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [
            str(dbt),
            "parse",
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(DBT_DIR / "target"),
            "--quiet",
        ],
        env=dbt_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
