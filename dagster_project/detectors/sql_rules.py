"""The set-based detectors are dbt models (dbt/models/intermediate/anomalies). This module renders
the same SQL with the thresholds of thresholds.toml and runs it on any DuckDB connection that holds
the two input relations, so the benchmark and the tests exercise exactly the SQL dbt builds."""

from __future__ import annotations

import re
from typing import Any

import duckdb
import jinja2

from dagster_project.detectors.config import Config
from dagster_project.paths import project_file

DBT_DIR = project_file("dbt")
MODELS_DIR = DBT_DIR / "models" / "intermediate" / "anomalies"
# Engine-specific SQL the models call through adapter.dispatch; rendered here as on DuckDB.
PORTABLE_MACROS = (
    DBT_DIR / "macros" / "portable_sql.sql",
    DBT_DIR / "macros" / "exact_rounding.sql",
)
SCHEMA = "intermediate"
INPUT_MODELS = ("int_anomalies__hourly_input", "int_anomalies__outlet_pollutants")
STATE_MODEL = "int_anomalies__operating_state"
STANDARDS_MODEL = "int_anomalies__emission_standards"
# dbt seeds the rules read, in dbt's seed schema, with their non-text column types
SEED_SCHEMA = "reference"
SEEDS: dict[str, dict[str, str]] = {"anomaly_emission_standards": {"priority": "INTEGER"}}
# Rule models in dependency order (operating state first: several rules read it).
RULE_MODELS = (
    "int_anomalies__exceedance",
    "int_anomalies__masked_exceedance",
    "int_anomalies__negative_value",
    "int_anomalies__over_range",
    "int_anomalies__zero_while_operating",
    "int_anomalies__missing_data",
    "int_anomalies__arithmetic_inconsistency",
    "int_anomalies__flag_abuse",
)
_VAR_RE = re.compile(r"var\('(anomaly_[a-z0-9_]+)',\s*([-0-9.e]+)\)")


def sql_var_defaults() -> dict[str, float]:
    """The `var('anomaly_…', default)` defaults written in the models (kept equal to the TOML)."""
    out: dict[str, float] = {}
    for path in MODELS_DIR.glob("*.sql"):
        for name, default in _VAR_RE.findall(path.read_text(encoding="utf-8")):
            out[name] = float(default)
    return out


def render(model: str, cfg: Config, schema: str = SCHEMA) -> str:
    """The model's SQL with ref() → schema.table and var() → the [sql] thresholds."""
    sql_vars: dict[str, Any] = cfg.get("sql", {})

    def ref(name: str) -> str:
        return f"{SEED_SCHEMA if name in SEEDS else schema}.{name}"

    def var(name: str, default: Any = None) -> Any:
        return sql_vars.get(name, default)

    # `do`: the macro files also hold the Spark session setup (dbt's `{% do run_query(...) %}`)
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, extensions=["jinja2.ext.do"]
    )
    macros = _duckdb_macros(env)
    template = env.from_string((MODELS_DIR / f"{model}.sql").read_text(encoding="utf-8"))
    return template.render(ref=ref, var=var, config=lambda **_: "", **macros)


def _duckdb_macros(env: jinja2.Environment) -> dict[str, Any]:
    """The dispatch macros of PORTABLE_MACROS with their duckdb__ implementations."""
    module: list[Any] = []

    class _Adapter:
        @staticmethod
        def dispatch(name: str, _package: str | None = None) -> Any:
            return getattr(module[0], f"duckdb__{name}")

    template = env.from_string("\n".join(p.read_text(encoding="utf-8") for p in PORTABLE_MACROS))
    module.append(template.make_module({"adapter": _Adapter(), "return": lambda value: value}))
    return {
        name: getattr(module[0], name)
        for name in dir(module[0])
        if not name.startswith(("_", "duckdb__", "spark__"))
    }


def run_models(
    con: duckdb.DuckDBPyConnection, cfg: Config, models: tuple[str, ...], schema: str = SCHEMA
) -> None:
    """(Re)create each model as a table in `schema`, like dbt's table materialisation."""
    con.execute(f"create schema if not exists {schema}")
    for model in models:
        con.execute(f"create or replace table {schema}.{model} as {render(model, cfg, schema)}")


def load_seeds(con: duckdb.DuckDBPyConnection, replace: bool = False) -> None:
    """The seeds the rules read, from dbt/seeds, where dbt has not loaded them (a scratch database
    of the tests and the benchmark, or a warehouse built without `dbt seed`)."""
    con.execute(f"create schema if not exists {SEED_SCHEMA}")
    for name, types in SEEDS.items():
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? "
            "and table_name = ?",
            [SEED_SCHEMA, name],
        ).fetchone()
        if exists and exists[0] and not replace:
            continue
        path = (DBT_DIR / "seeds" / f"{name}.csv").as_posix()
        con.execute(
            f"create or replace table {SEED_SCHEMA}.{name} as select * from "
            "read_csv(?, header = true, all_varchar = true, types = ?)",
            [path, types],
        )


def run_all(con: duckdb.DuckDBPyConnection, cfg: Config, schema: str = SCHEMA) -> None:
    load_seeds(con)
    run_models(con, cfg, (STATE_MODEL, STANDARDS_MODEL, *RULE_MODELS), schema)
