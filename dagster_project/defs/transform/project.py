"""The dbt project and its manifest, parsed on demand so a fresh clone or install needs no step.

The project files are read where they ship (the checkout's `dbt/` or the wheel's copy); nothing
is written there: the manifest lives in the state folder (`<state>/dbt/manifest/`) and every
build's artifacts and dbt log in `<state>/builds/<build id>/dbt/`. dbt itself is the executable
installed beside the running interpreter, never a `dbt` that PATH happens to offer.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project import paths

DBT_DIR = paths.project_file("dbt")
PARTIAL_PARSE = "partial_parse.msgpack"


def manifest_dir() -> Path:
    return paths.state_dir() / "dbt" / "manifest"


dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR, target_path=manifest_dir())


def dbt_executable() -> Path:
    return paths.tool("dbt")


def _source_files() -> list[Path]:
    files = [DBT_DIR / "dbt_project.yml", DBT_DIR / "profiles.yml", DBT_DIR / "selectors.yml"]
    for folder in ("models", "seeds", "macros", "tests"):
        files += sorted(p for p in (DBT_DIR / folder).rglob("*") if p.is_file())
    return [p for p in files if p.exists()]


def _newest_source_mtime() -> float:
    return max((p.stat().st_mtime for p in _source_files()), default=0.0)


def project_fingerprint() -> str:
    """A digest of the dbt project's files (paths and contents): equal digests, same SQL."""
    digest = hashlib.sha256()
    for path in _source_files():
        digest.update(path.relative_to(DBT_DIR).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


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

    Serialised with a file lock: parallel test workers (or a build beside the UI) share it.
    """
    manifest = dbt_project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
            _parse(manifest.parent)
    return manifest


def seed_partial_parse(target: Path) -> None:
    """Start a build's dbt target folder from the parsed project, so dbt skips re-parsing."""
    parsed = dbt_project.manifest_path.parent / PARTIAL_PARSE
    if parsed.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(parsed, target / PARTIAL_PARSE)


def _parse(target: Path) -> None:
    result = subprocess.run(
        [
            str(dbt_executable()),
            "parse",
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(target),
            "--quiet",
        ],
        env=dbt_env(),
        cwd=target,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
