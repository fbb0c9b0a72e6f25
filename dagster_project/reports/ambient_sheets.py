"""The export's air-quality sheets: township and station rankings (month and year to date),
township dust-fall and key-road dust by month, with Chinese headers."""

from __future__ import annotations

from dagster_project.reports.sheet_types import Kind as K
from dagster_project.reports.sheet_types import OutputColumn, Sheet, SourceTable

RANKINGS = "marts.air_quality_rankings"
DUSTFALL = "marts.dustfall_township_monthly"
ROAD_DUST = "marts.road_dust_township_monthly"

_RANKING_COLUMNS = (
    OutputColumn("scope", "排名范围", K.TEXT),
    OutputColumn("period_type", "统计期类型", K.TEXT),
    OutputColumn("period_month", "月份", K.DATE),
    OutputColumn("metric", "排名指标", K.TEXT),
    OutputColumn("metric_zh", "排名指标名称", K.TEXT),
    OutputColumn("entity_code", "排名对象编码", K.TEXT),
    OutputColumn("entity_name", "排名对象", K.TEXT),
    OutputColumn("station_code", "站点编码", K.TEXT),
    OutputColumn("value", "指标值", K.FLOAT),
    OutputColumn("rank", "名次", K.INT),
    OutputColumn("ranked_count", "参与排名数", K.INT),
    OutputColumn("is_ranked", "是否参与排名", K.BOOL),
    OutputColumn("not_ranked_reason", "不参与排名原因", K.TEXT),
    OutputColumn("rule_zh", "规则", K.TEXT),
    OutputColumn("basis", "排名依据", K.TEXT),
)
_DUSTFALL_COLUMNS = (
    OutputColumn("township", "乡镇（街道）", K.TEXT),
    OutputColumn("period_month", "月份", K.DATE),
    OutputColumn("dustfall_t_km2_month", "平均降尘量(吨/平方公里·月)", K.FLOAT),
    OutputColumn("points", "点位数", K.INT),
    OutputColumn("point_values", "各点位降尘量", K.TEXT),
    OutputColumn("limit_t_km2_month", "限值(吨/平方公里·月)", K.FLOAT),
    OutputColumn("exceeds_limit", "是否超标", K.BOOL),
    OutputColumn("rank", "名次", K.INT),
    OutputColumn("ranked_count", "参与排名数", K.INT),
    OutputColumn("exceeded_months_ytd", "年内累计超标月数", K.INT),
    OutputColumn("rule_zh", "规则", K.TEXT),
)
_ROAD_COLUMNS = (
    OutputColumn("township", "乡镇（街道）", K.TEXT),
    OutputColumn("period_month", "月份", K.DATE),
    OutputColumn("road_pm10_ug_m3", "道路PM10均值(µg/m³)", K.FLOAT),
    OutputColumn("dust_load_g_m2", "积尘负荷均值(g/m²)", K.FLOAT),
    OutputColumn("roads", "道路数", K.INT),
    OutputColumn("worst_road", "最差道路", K.TEXT),
    OutputColumn("worst_road_pm10_ug_m3", "最差道路PM10(µg/m³)", K.FLOAT),
    OutputColumn("rank", "名次", K.INT),
    OutputColumn("ranked_count", "参与排名数", K.INT),
)

AMBIENT_SOURCES: dict[str, SourceTable] = {
    t.name: t
    for t in (
        SourceTable(RANKINGS, {c.name: c.kind for c in _RANKING_COLUMNS}),
        SourceTable(DUSTFALL, {c.name: c.kind for c in _DUSTFALL_COLUMNS}),
        SourceTable(ROAD_DUST, {c.name: c.kind for c in _ROAD_COLUMNS}),
    )
}


def _select(source: str, columns: tuple[OutputColumn, ...], where: str) -> str:
    names = ", ".join(f'"{c.name}"' for c in columns)
    return f"select {names} from {source} where year(period_month) = $year{where}"


_RANKING_KEY = ("scope", "period_type", "period_month", "metric", "entity_code")
_MONTHLY_SCOPE = "year(period_month) = year"

AMBIENT_SHEETS: tuple[Sheet, ...] = (
    Sheet(
        key="ranking_townships",
        title="乡镇空气质量排名",
        sources=(RANKINGS,),
        query=_select(RANKINGS, _RANKING_COLUMNS, " and scope = 'township'"),
        columns=_RANKING_COLUMNS,
        order_by=_RANKING_KEY,
        year_scope=_MONTHLY_SCOPE,
    ),
    Sheet(
        key="ranking_stations",
        title="站点空气质量排名",
        sources=(RANKINGS,),
        query=_select(RANKINGS, _RANKING_COLUMNS, " and scope = 'station'"),
        columns=_RANKING_COLUMNS,
        order_by=_RANKING_KEY,
        year_scope=_MONTHLY_SCOPE,
    ),
    Sheet(
        key="ranking_dustfall",
        title="乡镇降尘量排名",
        sources=(DUSTFALL,),
        query=_select(DUSTFALL, _DUSTFALL_COLUMNS, ""),
        columns=_DUSTFALL_COLUMNS,
        order_by=("period_month", "township"),
        year_scope=_MONTHLY_SCOPE,
    ),
    Sheet(
        key="ranking_road_dust",
        title="重点道路颗粒物排名",
        sources=(ROAD_DUST,),
        query=_select(ROAD_DUST, _ROAD_COLUMNS, ""),
        columns=_ROAD_COLUMNS,
        order_by=("period_month", "township"),
        year_scope=_MONTHLY_SCOPE,
    ),
)
