"""Resources shared by every stage: the warehouse connection and the dbt CLI."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from dagster_project import warehouse
from dagster_project.defs.transform.project import dbt_project


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse named by LANTIAN_WAREHOUSE, resolved when a step opens it.

    Resolved lazily so `lantian build` can point a run at its temporary build file.
    Connections are short-lived: DuckDB allows one writer, and dbt writes in a subprocess.
    """

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = warehouse.connect(read_only=read_only)
        try:
            yield con
        finally:
            con.close()


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse_db": WarehouseResource(),
            "dbt": DbtCliResource(project_dir=dbt_project, profiles_dir=dbt_project.profiles_dir),
        }
    )
