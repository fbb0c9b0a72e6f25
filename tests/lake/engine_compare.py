"""Compare the marts dbt built on DuckDB with those it built on Spark (their Parquet files)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

GRAM_T = 1e-6  # one gram in tonnes: the marts' emission columns carry 6 decimals


@dataclass
class MartDiff:
    table: str
    duckdb_rows: int
    spark_rows: int
    keys: list[str]
    keys_only_in_duckdb: int = 0
    keys_only_in_spark: int = 0
    # per tonnes column: (duckdb total, spark total, rows differing at the gram, largest row
    # difference); the totals are summed as DECIMAL(38, 6), exact
    tonnes: dict[str, tuple[float, float, int, float]] = field(default_factory=dict)


def mart_grains(manifest: Path) -> dict[str, list[str]]:
    """Each dbt mart's grain from its unique / unique_combination_of_columns tests."""
    nodes = json.loads(manifest.read_text())["nodes"]
    marts = {
        uid: n["name"]
        for uid, n in nodes.items()
        if n["resource_type"] == "model" and n["schema"] == "marts"
    }
    grains: dict[str, list[str]] = {name: [] for name in marts.values()}
    for n in nodes.values():
        meta = n.get("test_metadata") or {}
        model = next(
            (marts[d] for d in n.get("depends_on", {}).get("nodes", []) if d in marts), None
        )
        if model is None or grains[model]:
            continue
        if meta.get("name") == "unique_combination_of_columns":
            grains[model] = list(meta["kwargs"]["combination_of_columns"])
        elif meta.get("name") == "unique" and n.get("column_name"):
            grains[model] = [n["column_name"]]
    return grains


def compare(warehouse: Path, spark_tables: Path, grains: dict[str, list[str]]) -> list[MartDiff]:
    """`spark_tables`: the `marts.db` folder of the Spark session's warehouse."""
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    diffs = []
    try:
        for table, keys in sorted(grains.items()):
            con.execute(
                f"create or replace temp view s as "
                f"select * from read_parquet('{spark_tables / table}/*.parquet')"
            )
            columns = con.execute(
                """select column_name from information_schema.columns
                   where table_schema = 'marts' and table_name = ? order by ordinal_position""",
                [table],
            ).fetchall()
            diff = MartDiff(
                table,
                int(con.execute(f"select count(*) from marts.{table}").fetchone()[0]),
                int(con.execute("select count(*) from s").fetchone()[0]),
                keys,
            )
            if keys:
                k = ", ".join(
                    f'cast(cast("{c}" as {_key_type(con, table, c)}) as varchar)' for c in keys
                )
                duck_keys = f"select {k} from marts.{table}"
                spark_keys = f"select {k} from s"
                diff.keys_only_in_duckdb = _count(con, f"{duck_keys} except all {spark_keys}")
                diff.keys_only_in_spark = _count(con, f"{spark_keys} except all {duck_keys}")
                on = " and ".join(f'd."{c}" is not distinct from s."{c}"' for c in keys)
                for (column,) in columns:
                    if not column.endswith("_t"):
                        continue
                    row = con.execute(
                        f"""select sum({_grams("d", column)})::double,
                                   sum({_grams("s", column)})::double,
                                   count(*) filter (where {_grams("d", column)}
                                                    is distinct from {_grams("s", column)}),
                                   coalesce(max(abs(
                                       d."{column}"::double - s."{column}"::double)), 0)
                            from marts.{table} as d join s on {on}"""
                    ).fetchone()
                    diff.tonnes[column] = (
                        float(row[0] or 0),
                        float(row[1] or 0),
                        int(row[2]),
                        float(row[3]),
                    )
            diffs.append(diff)
    finally:
        con.close()
    return diffs


def _grams(alias: str, column: str) -> str:
    """A tonnes column to the gram: six decimals, as the marts carry them."""
    return f'round({alias}."{column}"::double, 6)::decimal(38, 6)'


def totals(
    warehouse: Path, spark_tables: Path, table: str, by: list[str], column: str
) -> list[tuple[tuple[object, ...], float | None, float | None]]:
    """`column` summed by `by` in the DuckDB mart and in Spark's: (group, duckdb, spark) for every
    group whose totals differ to the gram (or that only one engine has); [] when they agree."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        keys = ", ".join(f'"{c}"' for c in by)
        total = f"sum({_grams('t', column)})"
        rows = con.execute(
            f"""with d as (select {keys}, {total} as total from marts.{table} as t group by all),
                     s as (select {keys}, {total} as total
                           from read_parquet('{spark_tables / table}/*.parquet') as t
                           group by all)
                select {", ".join(f'coalesce(d."{c}", s."{c}")' for c in by)},
                       d.total::double, s.total::double
                from d full join s using ({keys})
                where d.total is distinct from s.total"""
        ).fetchall()
    finally:
        con.close()
    n = len(by)
    return [(tuple(r[:n]), r[n], r[n + 1]) for r in rows]


def _key_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    kind = con.execute(
        """select data_type from information_schema.columns
           where table_schema = 'marts' and table_name = ? and column_name = ?""",
        [table, column],
    ).fetchone()[0]
    return "timestamp" if str(kind).startswith("TIMESTAMP") else str(kind)


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    return int(con.execute(f"select count(*) from ({query})").fetchone()[0])


def keys_against_counties(
    warehouses: list[Path], spark_tables: Path, table: str, keys: list[str]
) -> tuple[int, int, int]:
    """A province mart's grain keys against those of each county's own DuckDB build: (province
    rows, grain keys only the province has, grain keys only the counties have), as multisets. A
    province row that merged two counties' rows shows as a key missing from the province."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    try:
        for i, warehouse in enumerate(warehouses):
            con.execute(f"attach '{warehouse}' as c{i} (read_only)")
        types = {
            c: str(t)
            for c, t in con.execute(
                """select column_name, data_type from information_schema.columns
                   where table_catalog = 'c0' and table_schema = 'marts' and table_name = ?""",
                [table],
            ).fetchall()
        }
        k = ", ".join(
            f'cast(cast("{c}" as {"timestamp" if types[c].startswith("TIMESTAMP") else types[c]})'
            " as varchar)"
            for c in keys
        )
        counties = " union all ".join(
            f"select {k} from c{i}.marts.{table}" for i in range(len(warehouses))
        )
        province = f"select {k} from read_parquet('{spark_tables / table}/*.parquet')"
        return (
            _count(con, province),
            _count(con, f"{province} except all ({counties})"),
            _count(con, f"({counties}) except all {province}"),
        )
    finally:
        con.close()
