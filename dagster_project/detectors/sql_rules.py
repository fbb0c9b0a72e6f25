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

MODELS_DIR = project_file("dbt") / "models" / "intermediate" / "anomalies"
SCHEMA = "intermediate"
INPUT_MODELS = ("int_anomalies__hourly_input", "int_anomalies__outlet_pollutants")
STATE_MODEL = "int_anomalies__operating_state"
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
        return f"{schema}.{name}"

    def var(name: str, default: Any = None) -> Any:
        return sql_vars.get(name, default)

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    template = env.from_string((MODELS_DIR / f"{model}.sql").read_text(encoding="utf-8"))
    return template.render(ref=ref, var=var, config=lambda **_: "")


def run_models(
    con: duckdb.DuckDBPyConnection, cfg: Config, models: tuple[str, ...], schema: str = SCHEMA
) -> None:
    """(Re)create each model as a table in `schema`, like dbt's table materialisation."""
    con.execute(f"create schema if not exists {schema}")
    for model in models:
        con.execute(f"create or replace table {schema}.{model} as {render(model, cfg, schema)}")


def run_all(con: duckdb.DuckDBPyConnection, cfg: Config, schema: str = SCHEMA) -> None:
    run_models(con, cfg, (STATE_MODEL, *RULE_MODELS), schema)
