"""A sensor that rebuilds when sources/ changes, and the job every build runs.

The sources sensor launches `nightly_build`, which runs `lantian build` itself (the same command
cron would run, with the paths of the environment `lantian ui` set): its own process group, its
progress lines in this run's log, its exit code deciding this run's result. The build's asset
graph is a run of its own in the same history, tagged with its build id. (The 02:00 schedule
runs yesterday's CEMS partition: cems_days.py.)
"""

import hashlib
import subprocess
import sys

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.automation.cems_days import CEMS_DAY_BUILD_KEY
from dagster_project.operate import exit_codes


@dg.op(description="Atomic build of the whole warehouse (ingest, dbt, quality, exports).")
def build_warehouse(context: dg.OpExecutionContext) -> None:
    from dagster_project.operate.supervisor import spawn_dying_with_parent

    cmd = [sys.executable, "-P", "-m", "dagster_project.cli", "build"]  # -P: see cli.cmd_build
    proc = spawn_dying_with_parent(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    last = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        last = line.rstrip() or last
        context.log.info(line.rstrip())
    code = proc.wait()
    if code != exit_codes.OK:
        raise dg.Failure(description=f"lantian build exited {code}: {last}")


@dg.job(description="What the sources sensor runs: the atomic build.")
def nightly_build() -> None:
    build_warehouse()


def sources_fingerprint() -> str:
    """Names, sizes and mtimes of every file under sources/: cheap, and changes on any delivery.
    The receiving station's landing folder is left to `landing_sensor` (its open files change
    with every packet)."""
    digest = hashlib.sha256()
    root = warehouse.sources_path()
    landing = warehouse.landing_path()
    files = (p for p in root.rglob("*") if p.is_file() and not p.is_relative_to(landing))
    for path in sorted(files):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(
    job=nightly_build,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="New or changed files in sources/ trigger a build.",
)
def sources_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    fingerprint = sources_fingerprint()
    if context.cursor == fingerprint:
        return dg.SkipReason("sources/ unchanged")
    if context.cursor is None:
        # First evaluation: remember the state; the nightly schedule covers the initial build.
        return dg.SensorResult(skip_reason="first look at sources/", cursor=fingerprint)
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=fingerprint)], cursor=fingerprint)


# Everything, in dependency order, in one process: DuckDB has a single writer. (Not the CEMS
# day partitions: each of those runs this job inside its own build.)
build_all_assets = dg.define_asset_job(
    "build_all_assets",
    # the province's assets run on Spark in their own jobs (defs/province)
    selection=dg.AssetSelection.all()
    - dg.AssetSelection.assets(CEMS_DAY_BUILD_KEY)
    - dg.AssetSelection.groups("province"),
    executor_def=dg.in_process_executor,
    description="Materialize every asset and run every check (used inside the atomic build).",
)
