"""Resources shared by every stage: the warehouse connection and the dbt CLI."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from dagster_project import warehouse
from dagster_project.defs.transform.project import dbt_executable, dbt_project


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse: `path` when set, else LANTIAN_WAREHOUSE resolved when a step opens
    it (so `lantian build` can point a run at its temporary build file).

    Connections are short-lived: DuckDB allows one writer, and dbt writes in a subprocess.
    """

    path: str = ""

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = warehouse.connect(Path(self.path) if self.path else None, read_only=read_only)
        try:
            yield con
        finally:
            con.close()


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse_db": WarehouseResource(),
            "dbt": DbtCliResource(
                project_dir=dbt_project,
                profiles_dir=dbt_project.profiles_dir,
                dbt_executable=str(dbt_executable()),
            ),
        }
    )
