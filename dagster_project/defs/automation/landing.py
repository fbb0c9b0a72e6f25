"""Closed landing files of the receiving station become a CEMS ingest run.

`lantian receive` closes each MN's hourly file by renaming `<MN>/<YYYYMMDDHH>.log.part` to
`.log`. This sensor fingerprints the closed files (names and sizes) and, when new ones appear,
requests the build that ingests them: `nightly_build`, whose CEMS ingest is incremental by file
hash, so the run parses only the new files. Open `.part` files and the station's hidden journal
are never looked at.

The run request is built in one function, `landing_run_request`: when the CEMS assets are
partitioned by day, the partition keys (the days named by the new files) go there.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.automation.schedules import nightly_build


def closed_landing_files(root: Path) -> list[Path]:
    """`<MN>/<YYYYMMDDHH>[-k].log` files under the landing folder."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("*/*.log") if p.is_file() and not p.name.startswith("."))


def landing_fingerprint(files: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.relative_to(root)}|{path.stat().st_size}\n".encode())
    return digest.hexdigest()


def landing_run_request(files: list[Path], fingerprint: str) -> dg.RunRequest:
    """The run that ingests closed landing files (one place to add a partition key)."""
    days = sorted({p.name[:8] for p in files})
    return dg.RunRequest(
        run_key=f"landing-{fingerprint}",
        tags={
            "lantian/trigger": "landing",
            "lantian/landing_files": str(len(files)),
            "lantian/landing_last_day": days[-1] if days else "",
        },
    )


@dg.sensor(
    job=nightly_build,
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Hourly files closed by the receiving station trigger a CEMS ingest build.",
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    root = warehouse.landing_path()
    files = closed_landing_files(root)
    if not files:
        return dg.SkipReason(f"no closed landing files in {root}")
    fingerprint = landing_fingerprint(files, root)
    if context.cursor == fingerprint:
        return dg.SkipReason("no newly closed landing files")
    return dg.SensorResult(
        run_requests=[landing_run_request(files, fingerprint)], cursor=fingerprint
    )
