"""The sheet catalogue is well-formed and agrees with the dbt models' documented columns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dagster_project.reports.catalogue import HEADERS, SHEETS, SOURCES

DBT_MODELS = Path(__file__).resolve().parents[2] / "dbt" / "models"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _documented_columns() -> dict[str, set[str]]:
    """schema.model -> documented column names, from every model YAML under dbt/models."""
    found: dict[str, set[str]] = {}
    for path in sorted(DBT_MODELS.rglob("*.yml")):
        schema = path.relative_to(DBT_MODELS).parts[0]  # staging | intermediate | marts
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            columns = {c["name"] for c in model.get("columns", [])}
            if columns:
                found[f"{schema}.{model['name']}"] = columns
    return found


def test_sheets_are_well_formed_for_excel_and_files() -> None:
    titles = [s.title for s in SHEETS]
    keys = [s.key for s in SHEETS]
    assert len(set(titles)) == len(titles) and len(set(keys)) == len(keys)
    for sheet in SHEETS:
        assert len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\"), sheet.title
        assert re.fullmatch(r"[a-z0-9_]+", sheet.key), sheet.key
        names = [c.name for c in sheet.columns]
        assert len(set(names)) == len(names), sheet.key
        assert set(sheet.order_by) <= set(names), sheet.key
        assert set(sheet.sources) <= set(SOURCES), sheet.key
        for column in sheet.columns:
            assert CJK.search(column.header), (sheet.key, column.name)
            assert column.header == HEADERS[column.name]


def test_the_seven_task_23_dimensions_and_the_action_lists_have_sheets() -> None:
    titles = {s.title for s in SHEETS}
    dimensions = {"原辅材料及能源", "生产工艺及装备", "污染治理技术", "污染物排放"}
    dimensions |= {"无组织排放治理", "在线监控", "清洁运输"}
    assert dimensions <= titles
    assert {"排放量汇总", "数据质量_有效率", "数据质量_拒收原因"} <= titles
    actions = {t for t in SOURCES if t.startswith("marts.action_")}
    assert len(actions) == 9
    assert actions <= {src for s in SHEETS for src in s.sources}


def test_headers_named_in_the_brief() -> None:
    assert HEADERS["enterprise_id"] == "统一社会信用代码"
    assert HEADERS["emissions_t"] == "排放量(吨)"
    assert HEADERS["converted_mg_m3"] == "折算浓度(mg/m³)"
    assert HEADERS["outlet_id"] == "排放口编号"


@pytest.mark.parametrize("table", sorted(t for t in SOURCES if t.split(".")[0] != "audit"))
def test_catalogue_columns_are_documented_in_the_dbt_models(table: str) -> None:
    documented = _documented_columns()
    if table not in documented:
        pytest.skip(f"{table} has no model YAML in dbt/models yet")
    missing = sorted(set(SOURCES[table].columns) - documented[table])
    assert not missing, f"{table}: catalogue reads undocumented column(s) {missing}"
