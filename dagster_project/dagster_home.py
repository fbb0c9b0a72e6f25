"""The Dagster home (runs, schedules, check results) in the state folder, telemetry off, and its
event log on the storage that keeps connections open (operate/event_log.py)."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_project import paths

# What earlier versions wrote: a home with exactly this is brought up to DAGSTER_YAML; a
# dagster.yaml the operator edited is left as it is.
_EARLIER_YAML = """\
telemetry:
  enabled: false
nux:
  enabled: false
"""
DAGSTER_YAML = (
    _EARLIER_YAML
    + """\
# Dagster's SQLite event log (same files and tables) with each file's connection kept open:
# a build stores ~2,400 events, 15-20 ms each when every event opens its own connection.
event_log_storage:
  module: dagster_project.operate.event_log
  class: KeptConnectionEventLogStorage
"""
)


def ensure_dagster_home(state: Path | None = None) -> Path:
    """$DAGSTER_HOME when the operator set it, else `<state>/dagster_home`; exported for Dagster."""
    home = Path(os.environ.get("DAGSTER_HOME") or paths.state_dir(state) / "dagster_home")
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() == _EARLIER_YAML:
        config.write_text(DAGSTER_YAML)
    return home
