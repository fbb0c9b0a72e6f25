"""`lantian build --engine spark`: the county's ingest, its raw tables into the Parquet lake, then
the dbt project on Spark over every county in the lake.

The ingest assets load a scratch DuckDB file (the same parsers, rejects and audit as a DuckDB
build); its raw and audit tables become the county's partition of the lake (replaced as a whole)
and the scratch file is removed. dbt then builds every seed and model (one `dbt build`) on the
`spark` target.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project import warehouse
from dagster_project.build import BuildFailed, _env, new_build_id
from dagster_project.dagster_home import ensure_dagster_home
from dagster_project.lake import spark
from dagster_project.lake.county import registry_county
from dagster_project.lake.parquet import LakeTable, write_lake


@dataclass
class SparkBuildSummary:
    county: str
    lake: Path
    seconds: float
    lake_tables: list[LakeTable] = field(default_factory=list)
    marts: dict[str, int] = field(default_factory=dict)
    log_file: Path | None = None

    def exit_code(self) -> int:
        """The CLI's exit status: 0 (a failed Spark build raises BuildFailed instead)."""
        return 0

    def render(self) -> str:
        lines = [
            f"Built county {self.county} on Spark in {self.seconds:.1f} s (lake {self.lake})",
            f"dbt log: {self.log_file}" if self.log_file else "",
            "",
            f"{'lake table':<36}{'rows':>10}{'months':>8}",
        ]
        lines += [
            f"{t.schema + '.' + t.table:<36}{t.rows:>10}{t.months:>8}" for t in self.lake_tables
        ]
        lines += ["", "marts on Spark (rows, all counties in the lake):"]
        lines += [f"  {name:<38}{rows:>10}" for name, rows in sorted(self.marts.items())]
        return "\n".join(lines)


def ingest_to_lake(
    sources: Path, lake: Path, scratch: Path, county: str | None
) -> tuple[str, list[LakeTable]]:
    """Run the ingest assets into `scratch`; write its raw tables as the county's lake partition."""
    from dagster_project.definitions import defs

    definitions = defs()
    job = definitions.resolve_job_def("build_all_assets")
    ingest_keys = [
        k for k in definitions.resolve_asset_graph().get_all_asset_keys() if k.path[0] == "raw"
    ]
    ensure_dagster_home()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    with _env(
        **{
            warehouse.WAREHOUSE_ENV: str(scratch),
            warehouse.SOURCES_ENV: str(sources),
            warehouse.BUILD_ID_ENV: new_build_id(),
        }
    ):
        result = job.execute_in_process(
            run_config=quiet,
            instance=dg.DagsterInstance.get(),
            asset_selection=ingest_keys,
            raise_on_error=False,
        )
    if not result.success:
        raise BuildFailed(f"ingest of {sources} failed (see the Dagster run {result.run_id})")
    con = duckdb.connect(str(scratch), read_only=True)
    try:
        county = county or registry_county(con)
        return county, write_lake(con, lake, county)
    finally:
        con.close()


def mart_rows(home: Path) -> dict[str, int]:
    """Rows of each mart table Spark wrote (read from its Parquet files)."""
    marts = home / "spark-warehouse" / "marts.db"
    con = duckdb.connect()
    try:
        return (
            {
                folder.name: int(
                    con.execute(
                        f"select count(*) from read_parquet('{folder}/*.parquet')"
                    ).fetchone()[0]
                )
                for folder in sorted(marts.iterdir())
                if folder.is_dir() and any(folder.glob("*.parquet"))
            }
            if marts.is_dir()
            else {}
        )
    finally:
        con.close()


def run_spark_build(sources: Path | None = None, *, county: str | None = None) -> SparkBuildSummary:
    reason = spark.missing_requirements()
    if reason:
        raise BuildFailed(f"cannot run on Spark: {reason}")
    sources = (sources or warehouse.sources_path()).resolve()
    if not sources.is_dir():
        raise BuildFailed(f"sources folder not found: {sources}")
    started = time.monotonic()
    home, lake = spark.spark_home(), spark.lake_path()
    scratch = home / "ingest" / f"{uuid.uuid4().hex}.duckdb"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    try:
        county, tables = ingest_to_lake(sources, lake, scratch, county)
    finally:
        scratch.unlink(missing_ok=True)
        with contextlib.suppress(FileNotFoundError):
            Path(f"{scratch}.wal").unlink()
    build_on_spark(lake, home)
    return SparkBuildSummary(
        county,
        lake,
        time.monotonic() - started,
        tables,
        mart_rows(home),
        log_file=home / "dbt-build.log",
    )


def build_on_spark(lake: Path, home: Path) -> None:
    """dbt seeds and models on Spark over the lake; BuildFailed (with the log folder) on error."""
    try:
        spark.build_project(lake, home)
    except spark.SparkBuildFailed as exc:
        raise BuildFailed(str(exc).splitlines()[0] + f" (log: {home / 'dbt-logs'})") from exc
