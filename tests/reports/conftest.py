"""A small real DuckDB warehouse holding every table the export reads.

The tables are created from the export catalogue itself (`SOURCES`: table -> column -> type), so
the fixture cannot drift from the contract; tests remove tables or columns to provoke failures.
Rows name only the columns they care about; the rest are NULL.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.reports.catalogue import SOURCES

E1 = "914108830000000011"  # all digits: must stay text everywhere
E2 = "91410883MA9XYZ0Q2B"
MN1 = "0410883000001"  # leading zero must survive
MN2 = "0410883000002"


def _load(
    build: str,
    feed: str,
    file: str,
    sha: str,
    counts: tuple[int, int, int],
    at: datetime,
    note: str | None = None,
) -> dict[str, Any]:
    read, loaded, rejected = counts
    return {
        "build_id": build,
        "feed": feed,
        "source_file": file,
        "file_sha256": sha,
        "rows_read": read,
        "rows_loaded": loaded,
        "rows_rejected": rejected,
        "loaded_at": at,
        "note": note,
    }


def _rate(
    mn: str, enterprise: str, quarter: date, hours: tuple[int, int, int, int, int], rate: float
) -> dict[str, Any]:
    expected, valid, stopped, invalid, missing = hours
    return {
        "mn": mn,
        "pollutant_code": "a21026",
        "quarter_start": quarter,
        "enterprise_id": enterprise,
        "outlet_id": "DA001",
        "expected_hours": expected,
        "valid_hours": valid,
        "source_stopped_hours": stopped,
        "invalid_hours": invalid,
        "missing_hours": missing,
        "valid_rate": rate,
        "meets_cems_method_rate": rate >= 0.75,
    }


def _reject(build: str, feed: str, file: str, reason: str) -> dict[str, Any]:
    return {"build_id": build, "feed": feed, "source_file": file, "reason": reason}


ROWS: dict[str, list[dict[str, Any]]] = {
    "staging.stg_registry__enterprises": [
        {"enterprise_id": E1, "name": "孟州市示例热电有限公司", "township": "河阳街道"},
        {"enterprise_id": E2, "name": "孟州市样板砖瓦厂", "township": "化工镇"},
    ],
    "staging.stg_registry__outlets": [
        {"enterprise_id": E1, "outlet_id": "DA001", "mn": MN1, "outlet_name": "1号锅炉排放口"},
        {"enterprise_id": E2, "outlet_id": "DA001", "mn": MN2, "outlet_name": "隧道窑排放口"},
    ],
    "marts.emissions": [
        # tonnes chosen so that float sums are not exact in binary
        {
            "emission_id": "m01",
            "enterprise_id": E1,
            "pollutant": "so2",
            "pollutant_zh": "二氧化硫",
            "method": "cems",
            "year": 2023,
            "quarter": 4,
            "period_month": date(2023, 11, 1),
            "emissions_t": 0.1,
            "mn": MN1,
            "outlet_id": "DA001",
        },
        {
            "emission_id": "m02",
            "enterprise_id": E1,
            "pollutant": "so2",
            "pollutant_zh": "二氧化硫",
            "method": "cems",
            "year": 2023,
            "quarter": 4,
            "period_month": date(2023, 12, 1),
            "emissions_t": 0.2,
            "mn": MN1,
            "outlet_id": "DA001",
        },
        {
            "emission_id": "m03",
            "enterprise_id": E1,
            "pollutant": "nox",
            "pollutant_zh": "氮氧化物",
            "method": "factor",
            "year": 2023,
            "quarter": 4,
            "period_month": date(2023, 11, 1),
            "emissions_t": 12345.678901,
            "ef_id": "EF01,EF02",
        },
        {
            "emission_id": "m04",
            "enterprise_id": E2,
            "pollutant": "so2",
            "pollutant_zh": "二氧化硫",
            "method": "factor",
            "year": 2023,
            "quarter": 4,
            "period_month": date(2023, 11, 1),
            "emissions_t": 0.000001,
            "qa_flags": "unverified_factor",
        },
        {
            "emission_id": "m05",
            "enterprise_id": E2,
            "pollutant": "voc",
            "pollutant_zh": "挥发性有机物",
            "method": "mass_balance",
            "year": 2023,
            "quarter": 3,
            "period_month": date(2023, 9, 1),
            "emissions_t": 3.333333,
        },
        {
            "emission_id": "m06",
            "enterprise_id": E2,
            "pollutant": "so2",
            "pollutant_zh": "二氧化硫",
            "method": "factor",
            "year": 2024,
            "quarter": 1,
            "period_month": date(2024, 1, 1),
            "emissions_t": 7.0,
        },
    ],
    "marts.inventory_key_industry": [
        {
            "enterprise_id": E1,
            "year": 2023,
            "enterprise_name": "孟州市示例热电有限公司",
            "township": "河阳街道",
            "key_industry": "热电",
            "coal_t": 1200.5,
            "so2_t": 0.3,
            "nox_t": 12345.678901,
            "emissions_t_total": 12345.978901,
            "has_emissions": True,
            "boiler_count": 2,
            "gap_count": 1,
            "gaps": "清洁运输 clean_transport",
            "has_clean_transport": False,
        },
        {
            "enterprise_id": E2,
            "year": 2023,
            "enterprise_name": "孟州市样板砖瓦厂",
            "township": "化工镇",
            "key_industry": "砖瓦",
            "kiln_count": 1,
            "gap_count": 0,
            "clean_transport_share": 0.8,
            "has_clean_transport": True,
        },
        {
            "enterprise_id": E2,
            "year": 2024,
            "enterprise_name": "孟州市样板砖瓦厂",
            "township": "化工镇",
            "key_industry": "砖瓦",
            "gap_count": 7,
        },
    ],
    "marts.cems_quarterly_valid_rate": [
        _rate(MN1, E1, date(2023, 10, 1), (2208, 2000, 100, 8, 100), 0.95),
        _rate(MN2, E2, date(2023, 10, 1), (2208, 1300, 0, 500, 408), 0.61),
        _rate(MN1, E1, date(2024, 1, 1), (2184, 2160, 0, 24, 0), 0.99),
    ],
    # b1 parsed everything; b2 (the latest) re-read the ledgers and skipped the unchanged CEMS
    # file, whose counts and rejects therefore stay with b1. boilers/old.csv is gone in b2.
    "audit.load_log": [
        _load("b1", "boilers", "boilers/old.csv", "aa", (5, 5, 0), datetime(2023, 12, 1, 8)),
        _load("b1", "boilers", "boilers/锅炉台账.csv", "b0", (10, 9, 1), datetime(2023, 12, 1, 8)),
        _load("b1", "cems", "cems/a.log", "dd", (100, 97, 3), datetime(2023, 12, 1, 8, 1)),
        _load(
            "b2", "boilers", "boilers/锅炉台账.csv", "bb", (10, 8, 2), datetime(2024, 1, 2, 3, 4, 5)
        ),
        _load("b2", "kilns", "kilns/kilns.xlsx", "cc", (4, 3, 1), datetime(2024, 1, 2, 3, 4, 1)),
        _load(
            "b2",
            "cems",
            "cems/a.log",
            "dd",
            (0, 0, 0),
            datetime(2024, 1, 2, 3, 4, 2),
            note="unchanged, skipped",
        ),
    ],
    "audit.rejected_records": [
        _reject("b1", "boilers", "boilers/old.csv", "stale build"),
        _reject("b1", "boilers", "boilers/锅炉台账.csv", "superseded by b2"),
        _reject("b1", "cems", "cems/a.log", "crc_mismatch"),
        _reject("b1", "cems", "cems/a.log", "crc_mismatch"),
        _reject("b1", "cems", "cems/a.log", "truncated"),
        _reject("b2", "boilers", "boilers/锅炉台账.csv", "missing enterprise_id"),
        _reject("b2", "boilers", "boilers/锅炉台账.csv", "missing enterprise_id"),
        _reject("b2", "kilns", "kilns/kilns.xlsx", "bad number: capacity"),
    ],
    "marts.action_boilers": [
        {
            "rule_id": "T21-BIOMASS-SMALL",
            "task_no": "21",
            "rule_text_zh": "生物质锅炉小于4蒸吨",
            "enterprise_id": E1,
            "unit_id": "GL01",
            "capacity_t_h": 2.0,
            "fuel": "生物质",
            "has_auto_monitoring": False,
            "as_of_date": date(2023, 12, 31),
            "evidence": "capacity_t_h=2",
        },
    ],
    "marts.action_kilns": [
        {
            "rule_id": "T20-DAMAGE",
            "task_no": "20",
            "enterprise_id": E2,
            "unit_id": "YL01",
            "finding": "炉体破损",
            "deadline": date(2023, 10, 31),
            "is_overdue": True,
            "as_of_date": date(2023, 12, 31),
            "evidence": "deadline=2023-10-31",
        },
    ],
    "marts.action_voc": [
        {
            "rule_id": "T28-PARK",
            "task_no": "28",
            "enterprise_id": E2,
            "as_of_date": date(2023, 12, 31),
            "evidence": "voc_t=3.3",
        },
    ],
    "marts.action_ammonia_slip": [
        {
            "rule_id": "T22-NH3",
            "task_no": "22",
            "enterprise_id": E2,
            "unit_id": "YL01",
            "mn": MN2,
            "as_of_date": date(2023, 12, 31),
            "evidence": "denitrification=SNCR",
        },
    ],
    "marts.action_clean_transport": [
        {
            "rule_id": "T10-SHARE",
            "task_no": "10",
            "enterprise_id": E2,
            "year": 2023,
            "clean_transport_share": 0.8,
            "as_of_date": date(2023, 12, 31),
            "evidence": "share=0.8",
        },
        {
            "rule_id": "T10-SHARE",
            "task_no": "10",
            "enterprise_id": E2,
            "year": 2024,
            "clean_transport_share": 0.5,
            "as_of_date": date(2023, 12, 31),
            "evidence": "share=0.5",
        },
    ],
    "marts.action_ultra_low_exceedances": [
        {
            "rule_id": "T1-ULTRA",
            "task_no": "1",
            "limit_id": "SO2-35",
            "enterprise_id": E1,
            "outlet_id": "DA001",
            "mn": MN1,
            "pollutant_code": "a21026",
            "hour_start": datetime(2023, 11, 3, 14, 0),
            "converted_mg_m3": 41.25,
            "limit_mg_m3": 35.0,
            "as_of_date": date(2023, 12, 31),
            "evidence": "avg_converted=41.25",
        },
        {
            "rule_id": "T1-ULTRA",
            "task_no": "1",
            "limit_id": "SO2-35",
            "enterprise_id": E1,
            "outlet_id": "DA001",
            "mn": MN1,
            "pollutant_code": "a21026",
            "hour_start": datetime(2024, 1, 3, 14, 0),
            "converted_mg_m3": 36.0,
            "limit_mg_m3": 35.0,
            "as_of_date": date(2023, 12, 31),
            "evidence": "avg_converted=36",
        },
    ],
    "marts.action_performance_grades": [
        {
            "rule_id": "T32-D-CONTROL",
            "task_no": "32",
            "enterprise_id": E2,
            "performance_grade": "D",
            "period_start": date(2023, 11, 15),
            "as_of_date": date(2023, 12, 31),
            "evidence": "grade=D",
        },
    ],
    "marts.action_clean_energy": [
        {
            "rule_id": "T5-GAS-GENERATOR",
            "task_no": "5",
            "enterprise_id": E2,
            "unit_id": "YL01",
            "kiln_type": "gas_generator",
            "fuels": "coal",
            "is_overdue": False,
            "as_of_date": date(2023, 12, 31),
            "evidence": "fuel: 原煤 100 t",
        },
    ],
    "marts.action_voc_clusters": [
        {
            "rule_id": "T29-CONSOLIDATION",
            "task_no": "29",
            "enterprise_id": E1,
            "cluster": "会昌街道 car_repair",
            "cluster_kind": "cluster",
            "cluster_size": 3,
            "as_of_date": date(2023, 12, 31),
            "evidence": "cluster=会昌街道 car_repair",
        },
    ],
}


def build_warehouse(
    path: Path,
    omit_tables: Collection[str] = (),
    omit_columns: Mapping[str, Collection[str]] | None = None,
) -> Path:
    """Create every catalogue source table (minus the omitted ones) and fill in ROWS."""
    omit_columns = omit_columns or {}
    con = duckdb.connect(str(path))
    try:
        for table in SOURCES.values():
            if table.name in omit_tables:
                continue
            schema = table.name.split(".")[0]
            con.execute(f"create schema if not exists {schema}")
            columns = {
                name: kind
                for name, kind in table.columns.items()
                if name not in omit_columns.get(table.name, ())
            }
            ddl = ", ".join(f'"{name}" {kind.value}' for name, kind in columns.items())
            con.execute(f"create table {table.name} ({ddl})")
            for row in ROWS.get(table.name, []):
                unknown = set(row) - set(table.columns)
                assert not unknown, f"fixture row for {table.name} has unknown columns {unknown}"
                values = [row.get(name) for name in columns]
                marks = ", ".join("?" for _ in columns)
                con.execute(f"insert into {table.name} values ({marks})", values)
    finally:
        con.close()
    return path


@pytest.fixture
def make_warehouse(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "warehouse.duckdb", **kwargs: Any) -> Path:
        return build_warehouse(tmp_path / name, **kwargs)

    return make


@pytest.fixture
def warehouse_file(make_warehouse: Callable[..., Path]) -> Path:
    return make_warehouse()
