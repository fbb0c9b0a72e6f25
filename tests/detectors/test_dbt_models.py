"""The anomaly dbt models build and pass their YAML tests in a scratch dbt project whose
upstream models (cems_hourly, registry and manual-test staging) are small stubs, and
detect_and_store then reads what dbt built (the warehouse path of `lantian build`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.detectors import detect_and_store
from dagster_project.detectors.sql_rules import MODELS_DIR
from tests.dbt_scratch import scratch_project

dbt_main = pytest.importorskip("dbt.cli.main")

STUBS = {
    # converted = measured × (21 − 9) / (21 − 9.5); Cou = measured × 20 m³/s × 3600 s × 1e-6
    "cems_hourly": """
        select * from (values
         ('MN1', 'a21026', timestamp '2024-03-01 00:00', 10.0, 10.43, 9.5, 20.0, 0.72,
          60, true, 'N', 130.0),
         ('MN1', 'a21026', timestamp '2024-03-01 01:00', 40.0, 41.74, 9.5, 20.0, 2.88,
          60, true, 'N', 131.0),
         ('MN1', 'a21026', timestamp '2024-03-01 03:00', -5.0, -5.22, 9.5, 20.0, -0.36,
          60, true, 'N', 131.0),
         ('MN1', 'a01012', timestamp '2024-03-01 00:00', 130.0, null, 9.5, 20.0, null,
          60, true, 'N', null)
        ) t(mn, pollutant_code, hour_start, avg_measured, avg_converted, o2, flow_m3_s, mass_kg,
            valid_minutes, is_valid, flag, temp_c)""",
    "stg_registry__outlets": """
        select 'E1' as enterprise_id, 'DA001' as outlet_id, 'MN1' as mn, 'boiler' as source_kind,
               9.0 as reference_o2, 'GL01' as unit_id""",
    "stg_registry__outlet_limits": """
        select 'MN1' as mn, 'a21026' as pollutant_code, 35.0 as limit_mg_m3,
               200.0 as analyzer_range""",
    "stg_registry__enterprises": """
        select 'E1' as enterprise_id, 'heat_power' as key_industry""",
    "stg_ledgers__boilers": """
        select 'E1' as enterprise_id, 'GL01' as unit_id, '燃煤' as fuel""",
    "stg_ledgers__kilns": """
        select 'E1' as enterprise_id, 'YL01' as unit_id, 'coal' as fuel""",
    "stg_manual_tests__stack_tests": """
        select 'E1' as enterprise_id, 'DA001' as outlet_id, 'a21026' as pollutant_code,
               date '2024-03-01' as test_date, 11.0 as converted_mg_m3""",
}


def test_anomaly_models_build_and_feed_detect_and_store(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    body = """
        models:
          lantian:
            intermediate: {+schema: intermediate, +materialized: table}
            stubs: {+schema: marts, +materialized: table}
        seeds:
          lantian: {+schema: reference}
        """
    project = scratch_project(tmp_path / "dbt", STUBS, body, str(warehouse))
    shutil.copytree(MODELS_DIR, project / "models" / "intermediate" / "anomalies")
    (project / "seeds").mkdir()
    seeds = MODELS_DIR.parents[2] / "seeds"
    for seed in [*seeds.glob("*anomaly_*"), seeds / "inventory_activity_items.csv"]:
        shutil.copy(seed, project / "seeds" / seed.name)
    result = dbt_main.dbtRunner().invoke(
        ["build", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
    )
    assert result.success, result.exception
    con = duckdb.connect(str(warehouse))
    try:
        summary = detect_and_store(con, "dbt-test", None)
        assert summary.by_type == {"exceedance": 1, "missing_data": 1, "negative_value": 1}
        # the exceedance cites the coal boiler's standard from the seed (the ledger's 燃煤 read as
        # coal), not HJ 76
        (basis,) = con.execute(
            "select rule_basis from marts.monitoring_anomalies where anomaly_type = 'exceedance'"
        ).fetchone()
        assert "GB 13271-2014" in basis and "DB41/2089-2021" in basis and "HJ 76" not in basis
        assert "[sourced (secondary)]" in basis  # the coal-boiler row, not the any-fuel one
        state = con.execute(
            "select state from intermediate.int_anomalies__operating_state order by hour_start"
        ).fetchall()
        assert state[0] == ("running",)
    finally:
        con.close()
