"""A project-local DAGSTER_HOME (runs, schedules, check results), telemetry off."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_project.warehouse import PROJECT_ROOT

DAGSTER_YAML = """\
telemetry:
  enabled: false
nux:
  enabled: false
"""


def ensure_dagster_home() -> Path:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home
