"""The provincial export's sheet catalogue, as data: the contract between the marts and the export.

`SOURCES` names every warehouse table the export reads and the columns (with their export type)
it needs from each; a table that exists but lacks one of them is a contract failure. `SHEETS`
lists the sheets in workbook order: Chinese sheet name, the SQL that produces the rows for one
year, the output columns with their Chinese headers, and the ORDER BY that makes the export
deterministic. Headers of columns shared by several sheets live once in `HEADERS`.
"""

from __future__ import annotations

from dagster_project.reports.ambient_sheets import AMBIENT_SHEETS, AMBIENT_SOURCES
from dagster_project.reports.sheet_types import Kind, OutputColumn, Sheet, SourceTable

__all__ = ["SHEETS", "SOURCES", "Kind", "OutputColumn", "Sheet", "SourceTable"]

# The contract's precision: tonnes to 6 decimals (grams), concentrations to the 3 decimals HJ 212
# reports, every other number to 6 decimals. Every exported double is rounded once, to this.
TONNE_DECIMALS = 6
CONCENTRATION_DECIMALS = 3
DEFAULT_DECIMALS = 6


def decimals(column: str) -> int:
    if column.endswith("_mg_m3"):
        return CONCENTRATION_DECIMALS
    return TONNE_DECIMALS if column.endswith("_t") else DEFAULT_DECIMALS


# Text columns that list a set (string_agg(distinct ...) in the marts): the order of the items
# means nothing and is not fixed by the aggregation, so the export sorts the items.
SET_COLUMNS: dict[str, str] = {
    "products": "、",
    "kiln_types": ",",
    "control_techs": ",",
    "voc_capture_types": ",",
}


def exact_tonnes(expression: str) -> str:
    """Tonnes as DECIMAL at the contract's precision: sums of it are exact and independent of
    the order DuckDB adds rows in (doubles are not), so two builds give the same totals."""
    return f"cast(round({expression}, {TONNE_DECIMALS}) as decimal(18, {TONNE_DECIMALS}))"


K = Kind
EMISSIONS = "marts.emissions"
INVENTORY = "marts.inventory_key_industry"
VALID_RATE = "marts.cems_quarterly_valid_rate"
ENTERPRISES = "staging.stg_registry__enterprises"
OUTLETS = "staging.stg_registry__outlets"
LOAD_LOG = "audit.load_log"
REJECTED = "audit.rejected_records"

_RULE = {
    "rule_id": K.TEXT,
    "task_no": K.TEXT,
    "rule_text_zh": K.TEXT,
    "enterprise_id": K.TEXT,
    "enterprise_name": K.TEXT,
    "township": K.TEXT,
}
_JUDGED = {"basis_date": K.DATE, "as_of_date": K.DATE, "evidence": K.TEXT}
_POLLUTANT_ZH = (
    ("so2", "二氧化硫"),
    ("nox", "氮氧化物"),
    ("pm", "颗粒物"),
    ("voc", "VOCs"),
    ("nh3", "氨"),
)
_POLLUTANTS = tuple(p for p, _zh in _POLLUTANT_ZH)
COUNTY_TOTALS = "marts.emissions_county_totals"
COVERAGE = "marts.inventory_coverage"

SOURCES: dict[str, SourceTable] = {
    t.name: t
    for t in (
        SourceTable(
            INVENTORY,
            {
                "enterprise_id": K.TEXT,
                "year": K.INT,
                "enterprise_name": K.TEXT,
                "township": K.TEXT,
                "industry_code": K.TEXT,
                "key_industry": K.TEXT,
                "performance_grade": K.TEXT,
                "permit_no": K.TEXT,
                "coal_t": K.FLOAT,
                "natural_gas_10k_m3": K.FLOAT,
                "biomass_t": K.FLOAT,
                "solvents_t": K.FLOAT,
                "raw_materials_t": K.FLOAT,
                "products": K.TEXT,
                "has_materials_energy": K.BOOL,
                "boiler_count": K.INT,
                "boiler_capacity_t_h": K.FLOAT,
                "kiln_count": K.INT,
                "kiln_types": K.TEXT,
                "voc_unit_count": K.INT,
                "has_processes_equipment": K.BOOL,
                "control_techs": K.TEXT,
                "units_with_control": K.INT,
                "units_with_inefficient_control": K.INT,
                "has_control_technology": K.BOOL,
                "so2_t": K.FLOAT,
                "nox_t": K.FLOAT,
                "pm_t": K.FLOAT,
                "voc_t": K.FLOAT,
                "nh3_t": K.FLOAT,
                "emissions_t_total": K.FLOAT,
                **{f"{p}_{side}_t": K.FLOAT for p in _POLLUTANTS for side in ("low", "high")},
                "cems_t": K.FLOAT,
                "cems_calibrated_t": K.FLOAT,
                "manual_test_t": K.FLOAT,
                "mass_balance_t": K.FLOAT,
                "factor_t": K.FLOAT,
                "fugitive_t": K.FLOAT,
                "measured_share": K.FLOAT,
                "emission_rows_with_qa_flags": K.INT,
                "units_without_emissions": K.INT,
                "coverage_gap_count": K.INT,
                "coverage_gaps": K.TEXT,
                "has_emissions": K.BOOL,
                "voc_capture_types": K.TEXT,
                "seal_points": K.INT,
                "ldar_done_all": K.BOOL,
                "kiln_damage_open": K.INT,
                "has_fugitive_control": K.BOOL,
                "outlet_count": K.INT,
                "outlets_with_cems": K.INT,
                "outlets_networked": K.INT,
                "cems_valid_rate": K.FLOAT,
                "has_online_monitoring": K.BOOL,
                "transport_t": K.FLOAT,
                "clean_transport_t": K.FLOAT,
                "clean_transport_share": K.FLOAT,
                "has_clean_transport": K.BOOL,
                "gaps": K.TEXT,
                "gap_count": K.INT,
            },
        ),
        SourceTable(
            EMISSIONS,
            {
                "emission_id": K.TEXT,
                "enterprise_id": K.TEXT,
                "unit_id": K.TEXT,
                "outlet_id": K.TEXT,
                "mn": K.TEXT,
                "point_id": K.TEXT,
                "source_kind": K.TEXT,
                "pollutant": K.TEXT,
                "pollutant_code": K.TEXT,
                "pollutant_zh": K.TEXT,
                "period_month": K.DATE,
                "year": K.INT,
                "quarter": K.INT,
                "emissions_t": K.FLOAT,
                "method": K.TEXT,
                "release_type": K.TEXT,
                "quality_grade": K.TEXT,
                "emissions_low_t": K.FLOAT,
                "emissions_high_t": K.FLOAT,
                "calibration_ratio": K.FLOAT,
                "operating_hours_source": K.TEXT,
                "ef_id": K.TEXT,
                "ef_status": K.TEXT,
                "activity_quantity": K.FLOAT,
                "activity_unit": K.TEXT,
                "activity_item": K.TEXT,
                "measured_t": K.FLOAT,
                "substituted_t": K.FLOAT,
                "cems_valid_hours": K.INT,
                "cems_substituted_hours": K.INT,
                "cems_quarter_valid_rate": K.FLOAT,
                "qa_flags": K.TEXT,
            },
        ),
        SourceTable(
            COUNTY_TOTALS,
            {
                "year": K.INT,
                "pollutant": K.TEXT,
                "pollutant_zh": K.TEXT,
                "emissions_t": K.FLOAT,
                "emissions_low_t": K.FLOAT,
                "emissions_high_t": K.FLOAT,
                "rel_low": K.FLOAT,
                "rel_high": K.FLOAT,
                "cems_t": K.FLOAT,
                "cems_calibrated_t": K.FLOAT,
                "manual_test_t": K.FLOAT,
                "mass_balance_t": K.FLOAT,
                "factor_t": K.FLOAT,
                "grade_ab_t": K.FLOAT,
                "grade_c_t": K.FLOAT,
                "grade_de_t": K.FLOAT,
                "fugitive_t": K.FLOAT,
                "enterprises": K.INT,
            },
        ),
        SourceTable(
            COVERAGE,
            {
                "enterprise_id": K.TEXT,
                "unit_id": K.TEXT,
                "outlet_id": K.TEXT,
                "point_id": K.TEXT,
                "source_kind": K.TEXT,
                "pollutant": K.TEXT,
                "period_month": K.DATE,
                "year": K.INT,
                "expected_because": K.TEXT,
                "is_estimated": K.BOOL,
                "gap_reason": K.TEXT,
            },
        ),
        SourceTable(
            VALID_RATE,
            {
                "mn": K.TEXT,
                "pollutant_code": K.TEXT,
                "quarter_start": K.DATE,
                "enterprise_id": K.TEXT,
                "outlet_id": K.TEXT,
                "expected_hours": K.INT,
                "valid_hours": K.INT,
                "source_stopped_hours": K.INT,
                "invalid_hours": K.INT,
                "missing_hours": K.INT,
                "valid_rate": K.FLOAT,
                "meets_cems_method_rate": K.BOOL,
            },
        ),
        SourceTable(ENTERPRISES, {"enterprise_id": K.TEXT, "name": K.TEXT, "township": K.TEXT}),
        SourceTable(
            OUTLETS,
            {"enterprise_id": K.TEXT, "outlet_id": K.TEXT, "mn": K.TEXT, "outlet_name": K.TEXT},
        ),
        SourceTable(
            LOAD_LOG,
            {
                "build_id": K.TEXT,
                "feed": K.TEXT,
                "source_file": K.TEXT,
                "file_sha256": K.TEXT,
                "rows_read": K.INT,
                "rows_loaded": K.INT,
                "rows_rejected": K.INT,
                "loaded_at": K.TIMESTAMP,
                "note": K.TEXT,
            },
        ),
        SourceTable(
            REJECTED,
            {"build_id": K.TEXT, "feed": K.TEXT, "source_file": K.TEXT, "reason": K.TEXT},
        ),
        SourceTable(
            "marts.action_boilers",
            {
                **_RULE,
                "unit_id": K.TEXT,
                "fuel": K.TEXT,
                "capacity_t_h": K.FLOAT,
                "status": K.TEXT,
                "low_nox_burner": K.TEXT,
                "fgr_valve": K.TEXT,
                "co_firing": K.TEXT,
                "has_auto_monitoring": K.BOOL,
                "is_networked": K.BOOL,
                **_JUDGED,
            },
        ),
        SourceTable(
            "marts.action_kilns",
            {
                **_RULE,
                "unit_id": K.TEXT,
                "kiln_type": K.TEXT,
                "product": K.TEXT,
                "finding": K.TEXT,
                "deadline": K.DATE,
                "rectified_date": K.DATE,
                "is_overdue": K.BOOL,
                **_JUDGED,
            },
        ),
        SourceTable(
            "marts.action_voc",
            {**_RULE, "unit_id": K.TEXT, "process": K.TEXT, "treatment_tech": K.TEXT, **_JUDGED},
        ),
        SourceTable(
            "marts.action_ammonia_slip",
            {
                **_RULE,
                "unit_id": K.TEXT,
                "source_kind": K.TEXT,
                "desulfurization": K.TEXT,
                "denitrification": K.TEXT,
                "mn": K.TEXT,
                "nh3_hours": K.INT,
                **_JUDGED,
            },
        ),
        SourceTable(
            "marts.action_clean_transport",
            {
                **_RULE,
                "key_industry": K.TEXT,
                "year": K.INT,
                "transport_t": K.FLOAT,
                "clean_transport_t": K.FLOAT,
                "clean_transport_share": K.FLOAT,
                "below_standard_trips": K.INT,
                **_JUDGED,
            },
        ),
        SourceTable(
            "marts.action_ultra_low_exceedances",
            {
                **_RULE,
                "limit_id": K.TEXT,
                "outlet_id": K.TEXT,
                "unit_id": K.TEXT,
                "mn": K.TEXT,
                "pollutant_code": K.TEXT,
                "hour_start": K.TIMESTAMP,
                "converted_mg_m3": K.FLOAT,
                "limit_mg_m3": K.FLOAT,
                "exceedance_ratio": K.FLOAT,
                **_JUDGED,
            },
        ),
        SourceTable(
            "marts.action_performance_grades",
            {
                **_RULE,
                "key_industry": K.TEXT,
                "guide_industry": K.TEXT,
                "performance_grade": K.TEXT,
                "alert_level": K.TEXT,
                "reduction_ratio": K.FLOAT,
                "subsidy_yuan": K.FLOAT,
                "capacity_unit": K.TEXT,
                "baseline_annual": K.FLOAT,
                "expected_cut_daily": K.FLOAT,
                "period_start": K.DATE,
                "period_end": K.DATE,
                **_JUDGED,
            },
        ),
        SourceTable(
            "marts.action_clean_energy",
            {
                **_RULE,
                "key_industry": K.TEXT,
                "unit_id": K.TEXT,
                "source_kind": K.TEXT,
                "kiln_type": K.TEXT,
                "product": K.TEXT,
                "fuels": K.TEXT,
                "deadline": K.DATE,
                "is_overdue": K.BOOL,
                **_JUDGED,
            },
        ),
        SourceTable(
            "marts.action_voc_clusters",
            {
                **_RULE,
                "key_industry": K.TEXT,
                "cluster": K.TEXT,
                "cluster_kind": K.TEXT,
                "cluster_size": K.INT,
                "solvent_items": K.TEXT,
                "organic_items": K.TEXT,
                "voc_t": K.FLOAT,
                **_JUDGED,
            },
        ),
    )
}

# Chinese header per column name; a column exported anywhere must have one here.
HEADERS: dict[str, str] = {
    # identity
    "enterprise_id": "统一社会信用代码",
    "enterprise_name": "企业名称",
    "township": "乡镇（街道）",
    "industry_code": "行业代码",
    "key_industry": "重点行业",
    "performance_grade": "绩效分级",
    "permit_no": "排污许可证编号",
    "year": "年份",
    "quarter": "季度",
    "gaps": "未报维度",
    "gap_count": "未报维度数",
    # 原辅材料及能源
    "coal_t": "原煤消耗量(吨)",
    "natural_gas_10k_m3": "天然气消耗量(万立方米)",
    "biomass_t": "生物质燃料消耗量(吨)",
    "solvents_t": "含VOCs原辅材料用量(吨)",
    "raw_materials_t": "原料用量(吨)",
    "products": "产品",
    "has_materials_energy": "已报原辅材料及能源",
    # 生产工艺及装备
    "boiler_count": "锅炉数量",
    "boiler_capacity_t_h": "锅炉总蒸发量(吨/小时)",
    "kiln_count": "工业炉窑数量",
    "kiln_types": "炉窑类型",
    "voc_unit_count": "VOCs排放单元数量",
    "has_processes_equipment": "已报生产工艺及装备",
    # 污染治理技术
    "control_techs": "污染治理技术",
    "units_with_control": "有治理设施的单元数",
    "units_with_inefficient_control": "低效治理设施单元数",
    "has_control_technology": "已报污染治理技术",
    # 污染物排放
    "so2_t": "二氧化硫排放量(吨)",
    "nox_t": "氮氧化物排放量(吨)",
    "pm_t": "颗粒物排放量(吨)",
    "voc_t": "VOCs排放量(吨)",
    "nh3_t": "氨排放量(吨)",
    "emissions_t_total": "排放量合计(吨)",
    **{
        f"{p}_{side}_t": f"{zh}排放量{'下限' if side == 'low' else '上限'}(吨)"
        for p, zh in _POLLUTANT_ZH
        for side in ("low", "high")
    },
    "cems_t": "自动监测法核算量(吨)",
    "cems_calibrated_t": "本单元自动监测校准核算量(吨)",
    "manual_test_t": "手工监测法核算量(吨)",
    "mass_balance_t": "物料衡算法核算量(吨)",
    "factor_t": "产排污系数法核算量(吨)",
    "fugitive_t": "无组织排放量(吨)",
    "measured_share": "实测占比",
    "emission_rows_with_qa_flags": "带质控标记的排放记录数",
    "units_without_emissions": "无排放量的排放单元数",
    "coverage_gap_count": "核算缺口数",
    "coverage_gaps": "核算缺口",
    "has_emissions": "已有排放量",
    # 无组织排放治理
    "voc_capture_types": "VOCs收集方式",
    "seal_points": "设备与管线组件密封点数",
    "ldar_done_all": "全部开展LDAR",
    "kiln_damage_open": "炉体破损未整改数",
    "has_fugitive_control": "已报无组织排放治理",
    # 在线监控
    "outlet_count": "排放口数量",
    "outlets_with_cems": "安装自动监测的排放口数",
    "outlets_networked": "联网排放口数",
    "cems_valid_rate": "自动监测有效数据率",
    "has_online_monitoring": "已报在线监控",
    # 清洁运输
    "transport_t": "运输总量(吨)",
    "clean_transport_t": "清洁运输量(吨)",
    "clean_transport_share": "清洁运输比例",
    "has_clean_transport": "已报清洁运输",
    # emissions
    "emission_id": "排放记录编号",
    "unit_id": "排放单元编号",
    "outlet_id": "排放口编号",
    "outlet_name": "排放口名称",
    "mn": "设备MN号",
    "point_id": "排放点",
    "source_kind": "排放源类型",
    "pollutant": "污染物",
    "pollutant_code": "污染物编码",
    "pollutant_zh": "污染物名称",
    "period_month": "月份",
    "emissions_t": "排放量(吨)",
    "method": "核算方法",
    "release_type": "排放方式",
    "quality_grade": "数据质量等级",
    "emissions_low_t": "排放量下限(吨)",
    "emissions_high_t": "排放量上限(吨)",
    "rel_low": "相对不确定度下限",
    "rel_high": "相对不确定度上限",
    "calibration_ratio": "校准系数",
    "operating_hours_source": "运行小时来源",
    "grade_ab_t": "质量等级A/B(吨)",
    "grade_c_t": "质量等级C(吨)",
    "grade_de_t": "质量等级D/E(吨)",
    "enterprises": "企业数",
    "expected_because": "应核算原因",
    "is_estimated": "已核算",
    "gap_reason": "缺口原因",
    "ef_id": "排放因子编号",
    "ef_status": "因子核实状态",
    "activity_quantity": "活动水平",
    "activity_unit": "活动水平单位",
    "activity_item": "活动水平名称",
    "measured_t": "实测排放量(吨)",
    "substituted_t": "替代排放量(吨)",
    "cems_valid_hours": "有效小时数",
    "cems_substituted_hours": "替代小时数",
    "cems_quarter_valid_rate": "季度有效数据率",
    "qa_flags": "质控标记",
    "emission_rows": "排放记录数",
    # data quality
    "quarter_start": "季度开始日期",
    "valid_rate": "有效数据捕集率",
    "expected_hours": "应有小时数",
    "valid_hours": "有效小时数",
    "source_stopped_hours": "停运小时数",
    "invalid_hours": "无效小时数",
    "missing_hours": "缺失小时数",
    "meets_cems_method_rate": "满足自动监测核算要求",
    "feed": "数据源",
    "files": "文件数",
    "rows_read": "读取记录数",
    "rows_loaded": "入库记录数",
    "rows_rejected": "拒收记录数",
    "reason": "拒收原因",
    # action lists
    "rule_id": "规则编号",
    "task_no": "方案任务编号",
    "rule_text_zh": "规则",
    "basis_date": "依据日期",
    "as_of_date": "评估日期",
    "evidence": "证据",
    "fuel": "燃料类型",
    "capacity_t_h": "额定蒸发量(吨/小时)",
    "status": "运行状态",
    "low_nox_burner": "低氮燃烧",
    "fgr_valve": "烟气再循环阀门",
    "co_firing": "掺烧情况",
    "has_auto_monitoring": "已安装自动监控",
    "is_networked": "已联网",
    "kiln_type": "炉窑类型",
    "product": "产品",
    "finding": "问题",
    "deadline": "整改时限",
    "rectified_date": "整改完成日期",
    "is_overdue": "逾期未整改",
    "process": "工序",
    "treatment_tech": "治理工艺",
    "desulfurization": "脱硫设施",
    "denitrification": "脱硝设施",
    "nh3_hours": "氨监测数据小时数",
    "below_standard_trips": "国五以下车辆车次",
    "limit_id": "限值编号",
    "hour_start": "小时开始时间",
    "converted_mg_m3": "折算浓度(mg/m³)",
    "limit_mg_m3": "限值(mg/m³)",
    "exceedance_ratio": "超标倍数",
    "guide_industry": "技术指南重点行业",
    "alert_level": "预警级别",
    "reduction_ratio": "减排比例",
    "subsidy_yuan": "补助金额(元)",
    "capacity_unit": "产能单位",
    "baseline_annual": "减排基准(年)",
    "expected_cut_daily": "预计日减产量",
    "period_start": "管控开始日期",
    "period_end": "管控结束日期",
    "fuels": "非清洁燃料",
    "cluster": "园区/产业集群",
    "cluster_kind": "园区或集群",
    "cluster_size": "集群企业数",
    "solvent_items": "未替代的溶剂型原辅材料",
    "organic_items": "有机化工原料",
}


def _col(name: str, kind: Kind) -> OutputColumn:
    return OutputColumn(name, HEADERS[name], kind)


def table_sheet(
    key: str,
    title: str,
    source: str,
    names: tuple[str, ...],
    where: str,
    order_by: tuple[str, ...],
    year_scope: str,
) -> Sheet:
    """A sheet that selects `names` straight from one source table."""
    table = SOURCES[source]
    columns = tuple(_col(n, table.columns[n]) for n in names)
    select = ", ".join(f'"{n}"' for n in names)
    return Sheet(
        key=key,
        title=title,
        sources=(source,),
        query=f"select {select} from {source} where {where}",
        columns=columns,
        order_by=order_by,
        year_scope=year_scope,
    )


_IDENTITY = (
    "enterprise_id",
    "enterprise_name",
    "township",
    "industry_code",
    "key_industry",
    "year",
)
_BY_ENTERPRISE = ("enterprise_id", "year")
_INVENTORY_YEAR = "year = $year"
_INVENTORY_SCOPE = "marts.inventory_key_industry.year = year"


def _dimension(key: str, title: str, names: tuple[str, ...]) -> Sheet:
    return table_sheet(
        key, title, INVENTORY, _IDENTITY + names, _INVENTORY_YEAR, _BY_ENTERPRISE, _INVENTORY_SCOPE
    )


DIMENSION_SHEETS: tuple[Sheet, ...] = (
    _dimension(
        "overview",
        "企业清单",
        ("performance_grade", "permit_no", "emissions_t_total", "gap_count", "gaps"),
    ),
    _dimension(
        "materials_energy",
        "原辅材料及能源",
        (
            "coal_t",
            "natural_gas_10k_m3",
            "biomass_t",
            "solvents_t",
            "raw_materials_t",
            "products",
            "has_materials_energy",
        ),
    ),
    _dimension(
        "processes_equipment",
        "生产工艺及装备",
        (
            "boiler_count",
            "boiler_capacity_t_h",
            "kiln_count",
            "kiln_types",
            "voc_unit_count",
            "has_processes_equipment",
        ),
    ),
    _dimension(
        "control_technology",
        "污染治理技术",
        (
            "control_techs",
            "units_with_control",
            "units_with_inefficient_control",
            "has_control_technology",
        ),
    ),
    _dimension(
        "emissions_dimension",
        "污染物排放",
        (
            "so2_t",
            "nox_t",
            "pm_t",
            "voc_t",
            "nh3_t",
            "emissions_t_total",
            *(f"{p}_{side}_t" for p in _POLLUTANTS for side in ("low", "high")),
            "cems_t",
            "cems_calibrated_t",
            "manual_test_t",
            "mass_balance_t",
            "factor_t",
            "fugitive_t",
            "measured_share",
            "emission_rows_with_qa_flags",
            "units_without_emissions",
            "coverage_gap_count",
            "coverage_gaps",
            "has_emissions",
        ),
    ),
    _dimension(
        "fugitive_control",
        "无组织排放治理",
        (
            "voc_capture_types",
            "seal_points",
            "ldar_done_all",
            "kiln_damage_open",
            "has_fugitive_control",
        ),
    ),
    _dimension(
        "online_monitoring",
        "在线监控",
        (
            "outlet_count",
            "outlets_with_cems",
            "outlets_networked",
            "cems_valid_rate",
            "has_online_monitoring",
        ),
    ),
    _dimension(
        "clean_transport",
        "清洁运输",
        ("transport_t", "clean_transport_t", "clean_transport_share", "has_clean_transport"),
    ),
)

EMISSIONS_SUMMARY = Sheet(
    key="emissions_summary",
    title="排放量汇总",
    sources=(EMISSIONS, ENTERPRISES),
    query=f"""
        select e.enterprise_id, min(r.name) as enterprise_name,
               min(r.township) as township,
               e.pollutant, min(e.pollutant_zh) as pollutant_zh, e.method,
               sum({exact_tonnes("e.emissions_t")}) as emissions_t, count(*) as emission_rows
        from {EMISSIONS} as e
        left join {ENTERPRISES} as r on r.enterprise_id = e.enterprise_id
        where e.year = $year
        group by e.enterprise_id, e.pollutant, e.method""",
    columns=(
        _col("enterprise_id", K.TEXT),
        _col("enterprise_name", K.TEXT),
        _col("township", K.TEXT),
        _col("pollutant", K.TEXT),
        _col("pollutant_zh", K.TEXT),
        _col("method", K.TEXT),
        _col("emissions_t", K.FLOAT),
        _col("emission_rows", K.INT),
    ),
    order_by=("enterprise_id", "pollutant", "method"),
    year_scope="marts.emissions.year = year",
)

_EMISSION_DETAIL_COLUMNS = (
    "emission_id",
    "enterprise_id",
    "unit_id",
    "outlet_id",
    "mn",
    "point_id",
    "source_kind",
    "pollutant",
    "pollutant_code",
    "pollutant_zh",
    "period_month",
    "year",
    "quarter",
    "emissions_t",
    "method",
    "release_type",
    "quality_grade",
    "emissions_low_t",
    "emissions_high_t",
    "calibration_ratio",
    "operating_hours_source",
    "ef_id",
    "ef_status",
    "activity_quantity",
    "activity_unit",
    "activity_item",
    "measured_t",
    "substituted_t",
    "cems_valid_hours",
    "cems_substituted_hours",
    "cems_quarter_valid_rate",
    "qa_flags",
)
EMISSIONS_DETAIL = table_sheet(
    "emissions_detail",
    "排放量明细",
    EMISSIONS,
    _EMISSION_DETAIL_COLUMNS,
    "year = $year",
    ("emission_id",),
    "marts.emissions.year = year",
)

COUNTY_TOTALS_SHEET = table_sheet(
    "county_totals",
    "全市排放总量",
    COUNTY_TOTALS,
    (
        "year",
        "pollutant",
        "pollutant_zh",
        "emissions_t",
        "emissions_low_t",
        "emissions_high_t",
        "rel_low",
        "rel_high",
        "cems_t",
        "cems_calibrated_t",
        "manual_test_t",
        "mass_balance_t",
        "factor_t",
        "grade_ab_t",
        "grade_c_t",
        "grade_de_t",
        "fugitive_t",
        "enterprises",
    ),
    "year = $year",
    ("pollutant",),
    f"{COUNTY_TOTALS}.year = year",
)

COVERAGE_GAPS_SHEET = table_sheet(
    "coverage_gaps",
    "核算缺口",
    COVERAGE,
    (
        "enterprise_id",
        "unit_id",
        "outlet_id",
        "point_id",
        "source_kind",
        "pollutant",
        "period_month",
        "expected_because",
        "gap_reason",
    ),
    "year = $year and not is_estimated",
    ("point_id", "pollutant", "period_month"),
    f"{COVERAGE}.year = year",
)

# The latest build is the one that logged the newest file; older builds' rows stay in the log.
LATEST_BUILD_SQL = f"""
    select build_id from {LOAD_LOG}
    where loaded_at is not null
    order by loaded_at desc, build_id desc limit 1"""

VALID_RATE_SHEET = Sheet(
    key="dq_valid_rate",
    title="数据质量_有效率",
    sources=(VALID_RATE, OUTLETS, ENTERPRISES),
    query=f"""
        select v.enterprise_id, r.name as enterprise_name, v.outlet_id, o.outlet_name,
               v.mn, v.pollutant_code,
               year(cast(v.quarter_start as date)) as year,
               quarter(cast(v.quarter_start as date)) as quarter,
               cast(v.quarter_start as date) as quarter_start,
               v.expected_hours, v.valid_hours, v.source_stopped_hours, v.invalid_hours,
               v.missing_hours, v.valid_rate, v.meets_cems_method_rate
        from {VALID_RATE} as v
        left join {OUTLETS} as o on o.mn = v.mn
        left join {ENTERPRISES} as r on r.enterprise_id = v.enterprise_id
        where year(cast(v.quarter_start as date)) = $year""",
    columns=(
        _col("enterprise_id", K.TEXT),
        _col("enterprise_name", K.TEXT),
        _col("outlet_id", K.TEXT),
        _col("outlet_name", K.TEXT),
        _col("mn", K.TEXT),
        _col("pollutant_code", K.TEXT),
        _col("year", K.INT),
        _col("quarter", K.INT),
        _col("quarter_start", K.DATE),
        _col("expected_hours", K.INT),
        _col("valid_hours", K.INT),
        _col("source_stopped_hours", K.INT),
        _col("invalid_hours", K.INT),
        _col("missing_hours", K.INT),
        _col("valid_rate", K.FLOAT),
        _col("meets_cems_method_rate", K.BOOL),
    ),
    order_by=("mn", "pollutant_code", "quarter_start"),
    year_scope="year(marts.cems_quarterly_valid_rate.quarter_start) = year",
)

# The current load of every file the latest build saw: the last load_log row that parsed it.
# A CEMS file whose content did not change is logged as 'unchanged, skipped' with zero counts
# (as build.py's summary also reads it); its counts and rejects stay with the build that parsed it.
CURRENT_LOADS_SQL = f"""
    with listed as (
        select feed, source_file from {LOAD_LOG} where build_id = ({LATEST_BUILD_SQL})
    )
    select l.feed, l.source_file, l.build_id, l.rows_read, l.rows_loaded, l.rows_rejected
    from {LOAD_LOG} as l
    semi join listed as f on f.feed = l.feed and f.source_file = l.source_file
    where coalesce(l.note, '') not like 'unchanged%'
    qualify row_number() over (
        partition by l.feed, l.source_file order by l.loaded_at desc, l.build_id desc
    ) = 1"""
_CURRENT_LOADS_SCOPE = "not by year: every file of the latest build, as last parsed"

LOAD_SHEET = Sheet(
    key="dq_feeds",
    title="数据质量_入库",
    sources=(LOAD_LOG,),
    query=f"""
        select c.feed, count(*) as files, sum(c.rows_read) as rows_read,
               sum(c.rows_loaded) as rows_loaded, sum(c.rows_rejected) as rows_rejected
        from ({CURRENT_LOADS_SQL}) as c
        group by c.feed""",
    columns=(
        _col("feed", K.TEXT),
        _col("files", K.INT),
        _col("rows_read", K.INT),
        _col("rows_loaded", K.INT),
        _col("rows_rejected", K.INT),
    ),
    order_by=("feed",),
    year_scope=_CURRENT_LOADS_SCOPE,
)

REJECTED_SHEET = Sheet(
    key="dq_rejections",
    title="数据质量_拒收原因",
    sources=(REJECTED, LOAD_LOG),
    query=f"""
        select x.feed, x.reason, count(*) as rows_rejected,
               count(distinct x.source_file) as files
        from {REJECTED} as x
        semi join ({CURRENT_LOADS_SQL}) as c
            on c.feed = x.feed and c.source_file = x.source_file and c.build_id = x.build_id
        group by x.feed, x.reason""",
    columns=(
        _col("feed", K.TEXT),
        _col("reason", K.TEXT),
        _col("rows_rejected", K.INT),
        _col("files", K.INT),
    ),
    order_by=("feed", "reason"),
    year_scope=_CURRENT_LOADS_SCOPE,
)

_RULE_COLUMNS = (
    "rule_id",
    "task_no",
    "rule_text_zh",
    "enterprise_id",
    "enterprise_name",
    "township",
)
_JUDGED_COLUMNS = ("basis_date", "as_of_date", "evidence")
# An action list is judged at its as_of_date (the end of the data's year): a year's export holds
# the lists judged in that year, never another year's.
_JUDGED_IN_YEAR = "year(as_of_date) = $year"
_JUDGED_SCOPE = "year(as_of_date) = year: the list as judged in that year"


def _action(
    key: str,
    title: str,
    table: str,
    names: tuple[str, ...],
    order_by: tuple[str, ...],
    where: str = _JUDGED_IN_YEAR,
    year_scope: str = _JUDGED_SCOPE,
) -> Sheet:
    return table_sheet(
        key,
        title,
        f"marts.{table}",
        _RULE_COLUMNS + names + _JUDGED_COLUMNS,
        where,
        order_by,
        year_scope,
    )


ACTION_SHEETS: tuple[Sheet, ...] = (
    _action(
        "action_boilers",
        "锅炉整治清单",
        "action_boilers",
        (
            "unit_id",
            "fuel",
            "capacity_t_h",
            "status",
            "low_nox_burner",
            "fgr_valve",
            "co_firing",
            "has_auto_monitoring",
            "is_networked",
        ),
        ("enterprise_id", "unit_id", "rule_id"),
    ),
    _action(
        "action_kilns",
        "工业炉窑整治清单",
        "action_kilns",
        (
            "unit_id",
            "kiln_type",
            "product",
            "finding",
            "deadline",
            "rectified_date",
            "is_overdue",
        ),
        ("enterprise_id", "unit_id", "rule_id", "finding", "deadline", "evidence"),
    ),
    _action(
        "action_voc",
        "VOCs整治清单",
        "action_voc",
        ("unit_id", "process", "treatment_tech"),
        ("enterprise_id", "unit_id", "rule_id", "evidence"),
    ),
    _action(
        "action_ammonia_slip",
        "氨逃逸监控清单",
        "action_ammonia_slip",
        ("unit_id", "source_kind", "desulfurization", "denitrification", "mn", "nh3_hours"),
        ("enterprise_id", "unit_id", "rule_id"),
    ),
    _action(
        "action_clean_transport",
        "清洁运输整治清单",
        "action_clean_transport",
        (
            "key_industry",
            "year",
            "transport_t",
            "clean_transport_t",
            "clean_transport_share",
            "below_standard_trips",
        ),
        ("enterprise_id", "year", "rule_id"),
        where="year = $year",
        year_scope="marts.action_clean_transport.year = year",
    ),
    _action(
        "action_ultra_low_exceedances",
        "超低排放超标小时清单",
        "action_ultra_low_exceedances",
        (
            "limit_id",
            "outlet_id",
            "unit_id",
            "mn",
            "pollutant_code",
            "hour_start",
            "converted_mg_m3",
            "limit_mg_m3",
            "exceedance_ratio",
        ),
        ("mn", "pollutant_code", "hour_start", "limit_id"),
        where="year(hour_start) = $year",
        year_scope="year(marts.action_ultra_low_exceedances.hour_start) = year",
    ),
    _action(
        "action_performance_grades",
        "绩效分级管控清单",
        "action_performance_grades",
        (
            "key_industry",
            "guide_industry",
            "performance_grade",
            "alert_level",
            "reduction_ratio",
            "subsidy_yuan",
            "capacity_unit",
            "baseline_annual",
            "expected_cut_daily",
            "period_start",
            "period_end",
        ),
        ("enterprise_id", "rule_id", "alert_level"),
    ),
    _action(
        "action_clean_energy",
        "清洁能源替代清单",
        "action_clean_energy",
        (
            "key_industry",
            "unit_id",
            "source_kind",
            "kiln_type",
            "product",
            "fuels",
            "deadline",
            "is_overdue",
        ),
        ("enterprise_id", "unit_id", "rule_id"),
    ),
    _action(
        "action_voc_clusters",
        "涉VOCs园区集群治理清单",
        "action_voc_clusters",
        (
            "key_industry",
            "cluster",
            "cluster_kind",
            "cluster_size",
            "solvent_items",
            "organic_items",
            "voc_t",
        ),
        ("enterprise_id", "rule_id"),
    ),
)

SHEETS: tuple[Sheet, ...] = (
    *DIMENSION_SHEETS,
    COUNTY_TOTALS_SHEET,
    EMISSIONS_SUMMARY,
    EMISSIONS_DETAIL,
    COVERAGE_GAPS_SHEET,
    VALID_RATE_SHEET,
    LOAD_SHEET,
    REJECTED_SHEET,
    *ACTION_SHEETS,
    *AMBIENT_SHEETS,
)
SOURCES.update(AMBIENT_SOURCES)
# Headers live once: the air-quality sheets add theirs and must agree with the shared ones.
for _column in (c for sheet in AMBIENT_SHEETS for c in sheet.columns):
    if HEADERS.setdefault(_column.name, _column.header) != _column.header:
        raise ValueError(f"header of {_column.name} differs from HEADERS")

# The totals check: the export's per-pollutant sums must equal the mart's to the gram.
TOTALS_SHEET_KEY = EMISSIONS_DETAIL.key
TOTALS_MART_SQL = f"""
    select pollutant, sum({exact_tonnes("emissions_t")}) as emissions_t, count(*) as rows
    from {EMISSIONS} where year = $year group by pollutant order by pollutant"""

# Years an export can be asked for: the years the inventory holds.
YEARS_SQL = {
    EMISSIONS: f"select distinct year from {EMISSIONS}",
    INVENTORY: f"select distinct year from {INVENTORY}",
}
