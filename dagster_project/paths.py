"""Where everything is, from arguments or the environment, never from the current directory.

The project's own files (the dbt project, the great-expectations suites) ship inside the wheel
under `dagster_project/_project/`; in a source checkout they are the checkout's `dbt/` and
`expectations/`. Tools the build runs (dbt, dagster) are the ones installed beside the running
interpreter, so an un-activated venv, cron or a bare `env -i` environment finds them.

The operator's paths resolve in this order: the command's option, the environment variable, then
the default. Defaults: sources = the checkout's `sources/`; the warehouse = `warehouse.duckdb`
beside the sources folder; exports = `exports/` beside the warehouse; the state folder (Dagster
home, build logs, dbt artifacts) = `.lantian/` beside the warehouse.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = PACKAGE_DIR / "_project"  # dbt/ and expectations/ inside an installed wheel
_CHECKOUT = PACKAGE_DIR.parent

WAREHOUSE_ENV = "LANTIAN_WAREHOUSE"
SOURCES_ENV = "LANTIAN_SOURCES"
EXPORTS_ENV = "LANTIAN_EXPORTS"
STATE_ENV = "LANTIAN_STATE_DIR"
WAREHOUSE_NAME = "warehouse.duckdb"
STATE_NAME = ".lantian"


class PathNotConfigured(RuntimeError):
    """No option, no environment variable and no default applies (an installed tool)."""


def project_file(name: str) -> Path:
    """A folder or file of the project itself (`dbt`, `expectations`)."""
    bundled = _BUNDLED / name
    return bundled if bundled.exists() else _CHECKOUT / name


def checkout() -> Path | None:
    """The source checkout this package runs from, if any (None for an installed wheel)."""
    marker = _CHECKOUT / "pyproject.toml"
    return _CHECKOUT if marker.is_file() and (_CHECKOUT / "dbt").is_dir() else None


def tool(name: str) -> Path:
    """An executable of this environment (`dbt`, `dagster`), not whatever PATH offers."""
    candidates = [Path(sysconfig.get_path("scripts")) / name, Path(sys.executable).parent / name]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    if found:
        return Path(found)
    raise FileNotFoundError(
        f"{name} executable not found in {candidates[0].parent} (the environment lantian is "
        f"installed in) nor on PATH; reinstall lantian with its dependencies"
    )


def _given(option: Path | None, var: str) -> Path | None:
    """The option if given, else the environment variable if set."""
    if option is not None:
        return option.expanduser().resolve()
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else None


def sources_dir(option: Path | None = None) -> Path:
    given = _given(option, SOURCES_ENV)
    if given is not None:
        return given
    root = checkout()
    if root is None:
        raise PathNotConfigured(f"no sources folder: pass --sources DIR or set {SOURCES_ENV}")
    return root / "sources"


def warehouse_file(option: Path | None = None, sources: Path | None = None) -> Path:
    given = _given(option, WAREHOUSE_ENV)
    if given is not None:
        return given
    try:
        return sources_dir(sources).parent / WAREHOUSE_NAME
    except PathNotConfigured as exc:
        raise PathNotConfigured(
            f"no warehouse: pass --warehouse FILE or set {WAREHOUSE_ENV}"
        ) from exc


def exports_dir(option: Path | None = None, warehouse: Path | None = None) -> Path:
    given = _given(option, EXPORTS_ENV)
    return given or (warehouse or warehouse_file()).parent / "exports"


def state_dir(option: Path | None = None, warehouse: Path | None = None) -> Path:
    """Dagster home, build logs and dbt artifacts of the builds of one warehouse folder."""
    given = _given(option, STATE_ENV)
    return given or (warehouse or warehouse_file()).parent / STATE_NAME


def builds_dir(state: Path | None = None) -> Path:
    """One folder per build (its log, its dbt artifacts), the last N kept."""
    return (state or state_dir()) / "builds"


def build_dir(build_id: str, state: Path | None = None) -> Path:
    return builds_dir(state) / build_id
