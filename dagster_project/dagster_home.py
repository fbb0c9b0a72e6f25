"""The Dagster home (runs, schedules, check results) in the state folder, telemetry off."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_project import paths

DAGSTER_YAML = """\
telemetry:
  enabled: false
nux:
  enabled: false
"""


def ensure_dagster_home(state: Path | None = None) -> Path:
    """$DAGSTER_HOME when the operator set it, else `<state>/dagster_home`; exported for Dagster."""
    home = Path(os.environ.get("DAGSTER_HOME") or paths.state_dir(state) / "dagster_home")
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home
