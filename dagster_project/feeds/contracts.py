"""Column contracts of every ledger feed in `sources/`.

One place says which columns each feed must carry, their types and the Chinese headers
enterprises write instead of the canonical English names. The generator writes files that
follow these contracts; the readers validate against them; dbt sources mirror them.

Types: "str", "int", "float", "bool", "date" (YYYY-MM-DD or YYYY/MM/DD), "datetime"
(YYYY-MM-DD HH:MM[:SS]), "month" (YYYY-MM). Booleans accept 是/否, Y/N, yes/no, true/false, 1/0.
RAW_TYPES gives the DuckDB type of each in raw.<table>; a month is stored as the DATE of its
first day.

Plausibility (`Column.bounds`, each with its basis): a value that cannot be true (negative fuel
use, a percentage above 100, a 10^12 t/h boiler, a point outside China) rejects its row as
`out_of_range:<column>`; a value that can be true but needs the office's decision (a fuel the
action lists do not know, high-sulfur coal, O2 above that of air) loads, and the row carries a
warning in raw.<table>.warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bounds:
    """Plausible values of a column. Outside `low`..`high` (`low_exclusive`: the value must
    exceed `low`) the value is impossible: the row is rejected. Outside `warn_low`..`warn_high`,
    or for text not one of `known`, it is possible but unusual: loaded with a warning."""

    basis: str  # why: the physics, the standard or the plan behind the numbers
    unit: str = ""
    low: float | None = None
    high: float | None = None
    low_exclusive: bool = False
    warn_low: float | None = None
    warn_high: float | None = None
    warn_basis: str = ""
    known: tuple[str, ...] = ()

    def describe(self) -> str:
        """The bounds as text, for the feed documentation."""
        parts = []
        if self.low is not None or self.high is not None:
            lo = "" if self.low is None else f"{self.low:g} {'<' if self.low_exclusive else '≤'} "
            hi = "" if self.high is None else f" ≤ {self.high:g}"
            parts.append(f"reject unless {lo}value{hi} {self.unit}".rstrip() + f" ({self.basis})")
        if self.warn_low is not None or self.warn_high is not None:
            lo = "" if self.warn_low is None else f"below {self.warn_low:g}"
            hi = "" if self.warn_high is None else f"above {self.warn_high:g}"
            span = " or ".join(p for p in (lo, hi) if p)
            parts.append(f"warn {span} {self.unit} ({self.warn_basis})".replace("  ", " "))
        if self.known:
            parts.append(f"warn unless one of {', '.join(self.known)} ({self.basis})")
        return "; ".join(parts)


_PERCENT = Bounds("a percentage by mass lies between 0 and 100", "%", low=0, high=100)
_NOT_NEGATIVE = Bounds("a count or quantity cannot be negative", low=0)
_POSITIVE = Bounds(
    "a capacity, limit, range or interval is more than zero (0 is a missing value)",
    low=0,
    low_exclusive=True,
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True
    aliases: tuple[str, ...] = ()  # Chinese headers as enterprises write them
    description: str = ""
    # `required` means the column must be in the file and, by default, carry a value in every
    # row; `nullable` relaxes the second half for required columns whose empty value means
    # something (performance_grade: empty = not graded).
    nullable: bool = False
    bounds: Bounds | None = None

    @property
    def value_required(self) -> bool:
        return self.required and not self.nullable


@dataclass(frozen=True)
class FeedSpec:
    feed: str  # feed name, used in audit tables
    folder: str  # folder under sources/
    table: str  # raw table name (schema raw)
    columns: tuple[Column, ...]
    file_glob: str = "*"  # which files in the folder belong to this feed
    description: str = ""
    key: tuple[str, ...] = field(default_factory=tuple)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def header_map(self) -> dict[str, str]:
        """Every accepted header (canonical or alias, case-insensitive) -> canonical name."""
        mapping: dict[str, str] = {}
        for c in self.columns:
            mapping[c.name.lower()] = c.name
            for a in c.aliases:
                mapping[a.lower()] = c.name
        return mapping


C = Column

# Fuels the boiler action list (plan task 21) knows; others are loaded with a warning.
BOILER_FUELS: tuple[str, ...] = (
    "coal",
    "gas",
    "natural_gas",
    "biomass",
    "oil",
    "electric",
    "coal_gangue",
    "coke",
    "producer_gas",
)

ENTERPRISE_ID = C(
    "enterprise_id", "str", aliases=("统一社会信用代码", "企业统一社会信用代码", "信用代码")
)
UNIT_ID = C(
    "unit_id", "str", aliases=("设备编号", "锅炉编号", "窑炉编号", "生产线编号", "单元编号")
)

REGISTRY_ENTERPRISES = FeedSpec(
    feed="registry_enterprises",
    folder="registry",
    table="registry_enterprises",
    file_glob="enterprises*",
    key=("enterprise_id",),
    description="Enterprise registry: one row per enterprise (统一社会信用代码).",
    columns=(
        ENTERPRISE_ID,
        C("name", "str", aliases=("企业名称",)),
        C("township", "str", aliases=("乡镇", "所属乡镇", "乡镇（街道）")),
        C("industry_code", "str", aliases=("行业代码", "国民经济行业代码")),
        C(
            "key_industry",
            "str",
            aliases=("重点行业",),
            description="heat_power, casting, bricks, glass, chemicals, fertilizer, sand_gravel, "
            "printing, furniture, car_repair, leather, herb_drying, cement, ceramics, refractory",
        ),
        C(
            "performance_grade",
            "str",
            required=True,
            nullable=True,
            aliases=("绩效分级",),
            description="A, B, B-, C, D or empty",
        ),
        C("permit_no", "str", aliases=("排污许可证编号",)),
        C(
            "longitude",
            "float",
            aliases=("经度",),
            bounds=Bounds(
                "China lies between 73°E and 136°E: outside is a swapped or mistyped coordinate; "
                "the registry suite warns outside Mengzhou",
                "°E",
                low=73,
                high=136,
            ),
        ),
        C(
            "latitude",
            "float",
            aliases=("纬度",),
            bounds=Bounds(
                "China lies between 3°N and 54°N: outside is a swapped or mistyped coordinate",
                "°N",
                low=3,
                high=54,
            ),
        ),
        C("in_park", "bool", required=False, aliases=("是否入园",)),
        C("eia_capacity", "float", required=False, aliases=("环评批复产能",), bounds=_NOT_NEGATIVE),
        C(
            "permit_capacity",
            "float",
            required=False,
            aliases=("排污许可产能",),
            bounds=_NOT_NEGATIVE,
        ),
        C(
            "prior_year_output",
            "float",
            required=False,
            aliases=("上年实际产量",),
            bounds=_NOT_NEGATIVE,
        ),
        C("capacity_unit", "str", required=False, aliases=("产能单位",)),
    ),
)

REGISTRY_OUTLETS = FeedSpec(
    feed="registry_outlets",
    folder="registry",
    table="registry_outlets",
    file_glob="outlets*",
    key=("mn",),
    description="Outlets (排放口) with their HJ 212 device MN.",
    columns=(
        ENTERPRISE_ID,
        C("outlet_id", "str", aliases=("排放口编号",)),
        C(
            "mn",
            "str",
            required=False,
            aliases=("设备MN号", "MN号"),
            description="HJ 212 MN; empty where no automatic monitoring is installed",
        ),
        C("outlet_name", "str", aliases=("排放口名称",)),
        C("source_kind", "str", aliases=("排放源类型",), description="boiler, kiln, process, voc"),
        C("unit_id", "str", required=False, aliases=("对应设备编号",)),
        C(
            "reference_o2",
            "float",
            required=False,
            aliases=("基准氧含量",),
            description="%",
            bounds=Bounds(
                "C_ref = C × (21 − O2ref)/(21 − O2) needs a reference O2 below the 21 % of air",
                "%",
                low=0,
                high=20.9,
            ),
        ),
        C("networked", "bool", required=False, aliases=("是否联网",)),
        C(
            "stack_height_m",
            "float",
            required=False,
            aliases=("排气筒高度",),
            bounds=Bounds(
                "a stack has a height, and none ever built is taller than 420 m (GRES-2, "
                "Ekibastuz)",
                "m",
                low=0,
                high=500,
                low_exclusive=True,
            ),
        ),
    ),
)

REGISTRY_OUTLET_LIMITS = FeedSpec(
    feed="registry_outlet_limits",
    folder="registry",
    table="registry_outlet_limits",
    file_glob="outlet_limits*",
    key=("mn", "pollutant_code"),
    description="Hourly limits and analyzer ranges per outlet and pollutant.",
    columns=(
        C("mn", "str", aliases=("MN号",)),
        C("pollutant_code", "str", aliases=("污染物编码",)),
        C("limit_mg_m3", "float", aliases=("排放限值",), bounds=_POSITIVE),
        C("analyzer_range", "float", aliases=("量程",), bounds=_POSITIVE),
        C("detection_limit", "float", required=False, aliases=("检出限",), bounds=_NOT_NEGATIVE),
    ),
)

BOILERS = FeedSpec(
    feed="boilers",
    folder="boilers",
    table="boilers",
    key=("enterprise_id", "unit_id"),
    description="Boiler ledger (锅炉台账), plan task 21.",
    columns=(
        ENTERPRISE_ID,
        UNIT_ID,
        C(
            "fuel",
            "str",
            aliases=("燃料类型",),
            description="coal, gas, biomass, oil, electric",
            bounds=Bounds(
                "the boiler action list (plan task 21) sorts boilers by these fuels; another "
                "one needs the office to say which rules apply",
                known=BOILER_FUELS,
            ),
        ),
        C(
            "capacity_t_h",
            "float",
            aliases=("额定蒸发量(t/h)", "额定蒸发量（蒸吨/小时）", "蒸吨"),
            bounds=Bounds(
                "the largest utility boilers (1,000 MW units) make about 3,000 t/h of steam: "
                "more is a unit error (kg/h, t/d)",
                "t/h",
                low=0,
                high=4000,
                low_exclusive=True,
            ),
        ),
        C("status", "str", aliases=("运行状态",), description="in_use, standby, retired"),
        C("commissioned_year", "int", required=False, aliases=("投运年份",)),
        C("low_nox_burner", "bool", required=False, aliases=("低氮燃烧",)),
        C(
            "fgr_valve",
            "str",
            required=False,
            aliases=("烟气再循环阀门",),
            description="none, manual, electric, pneumatic, lead_seal",
        ),
        C(
            "co_firing",
            "str",
            required=False,
            aliases=("掺烧情况",),
            description="none, coal, waste, industrial_solid_waste",
        ),
        C("dedicated_burner", "bool", required=False, aliases=("专用炉具",)),
        C("dust_control", "str", required=False, aliases=("除尘设施",)),
        C("desulfurization", "str", required=False, aliases=("脱硫设施",)),
        C("denitrification", "str", required=False, aliases=("脱硝设施",)),
        C("auto_monitoring", "bool", required=False, aliases=("自动监控",)),
        C("monitoring_networked", "bool", required=False, aliases=("是否联网",)),
    ),
)

KILNS = FeedSpec(
    feed="kilns",
    folder="kilns",
    table="kilns",
    key=("enterprise_id", "unit_id"),
    description="Industrial kiln ledger (工业炉窑台账), plan tasks 19-20, 22.",
    columns=(
        ENTERPRISE_ID,
        UNIT_ID,
        C(
            "kiln_type",
            "str",
            aliases=("炉窑类型",),
            description="tunnel_kiln, shuttle_kiln, glass_furnace, gas_generator, rotary_kiln, "
            "dryer, cupola, other",
        ),
        C("product", "str", required=False, aliases=("产品",)),
        C("fuel", "str", required=False, aliases=("燃料类型",)),
        C("capacity", "float", required=False, aliases=("设计产能",), bounds=_POSITIVE),
        C("capacity_unit", "str", required=False, aliases=("产能单位",)),
        C("dust_control", "str", required=False, aliases=("除尘设施",)),
        C(
            "desulfurization",
            "str",
            required=False,
            aliases=("脱硫设施",),
            description="e.g. wet_limestone, dust_desulf_integrated, simple_alkali, simple_ammonia",
        ),
        C(
            "denitrification",
            "str",
            required=False,
            aliases=("脱硝设施",),
            description="e.g. scr, sncr, wet_denitration, oxidation_denitration, none",
        ),
        C("voc_control", "str", required=False, aliases=("VOCs治理设施",)),
        C("uses_ammonia", "bool", required=False, aliases=("氨法脱硫脱硝",)),
        C("ammonia_slip_monitoring", "bool", required=False, aliases=("氨逃逸监测",)),
        C("damage_found", "bool", required=False, aliases=("炉体破损",)),
        C("damage_description", "str", required=False, aliases=("问题描述",)),
        C("found_date", "date", required=False, aliases=("发现日期",)),
        C("rectification_deadline", "date", required=False, aliases=("整改时限",)),
        C("rectified_date", "date", required=False, aliases=("整改完成日期",)),
    ),
)

VOC_SOURCES = FeedSpec(
    feed="voc",
    folder="voc",
    table="voc_sources",
    key=("enterprise_id", "unit_id"),
    description="VOC governance ledger (VOCs治理台账), plan tasks 24-29.",
    columns=(
        ENTERPRISE_ID,
        UNIT_ID,
        C(
            "process",
            "str",
            aliases=("工序",),
            description="coating, printing, adhesive, cleaning, chemical, storage",
        ),
        C("material", "str", required=False, aliases=("原辅材料",)),
        C("low_voc_substituted", "bool", required=False, aliases=("低VOCs替代",)),
        C("seal_points", "int", required=False, aliases=("密封点数量",), bounds=_NOT_NEGATIVE),
        C("ldar_done", "bool", required=False, aliases=("开展LDAR",)),
        C(
            "capture_type",
            "str",
            required=False,
            aliases=("收集方式",),
            description="sealed_negative_pressure, enclosed, local_hood, open",
        ),
        C(
            "treatment_tech",
            "str",
            required=False,
            aliases=("治理工艺",),
            description="rto, rco, activated_carbon, uv_photolysis, photocatalysis, plasma, "
            "water_spray, none",
        ),
        C("carbon_last_replaced", "date", required=False, aliases=("活性炭最近更换日期",)),
        C(
            "carbon_interval_days",
            "int",
            required=False,
            aliases=("活性炭更换周期(天)",),
            bounds=_POSITIVE,
        ),
        C(
            "combustion_temp_records_months",
            "int",
            required=False,
            aliases=("燃烧温度记录保存月数",),
            bounds=_NOT_NEGATIVE,
        ),
        C(
            "bypass",
            "str",
            required=False,
            aliases=("旁路情况",),
            description="none, emergency_sealed, emergency_unsealed, open",
        ),
    ),
)

ACTIVITY = FeedSpec(
    feed="activity",
    folder="activity",
    table="activity",
    key=("enterprise_id", "unit_id", "period", "category", "item"),
    description="Monthly activity data: fuel use, production, solvent purchases.",
    columns=(
        ENTERPRISE_ID,
        C("unit_id", "str", required=False, aliases=UNIT_ID.aliases),
        C("period", "month", aliases=("月份", "统计月份")),
        C("category", "str", aliases=("类别",), description="fuel, product, solvent, raw_material"),
        C("item", "str", aliases=("名称", "品名")),
        C(
            "quantity",
            "float",
            aliases=("数量",),
            bounds=Bounds(
                "a month's fuel use, output or purchase cannot be negative (a correction "
                "belongs netted into the month's row)",
                low=0,
            ),
        ),
        C("unit", "str", aliases=("单位",), description="t, 10^4 m3, 10^4 bricks, kg, ..."),
        C(
            "sulfur_pct",
            "float",
            required=False,
            aliases=("含硫量(%)",),
            bounds=Bounds(
                _PERCENT.basis,
                "%",
                low=0,
                high=100,
                warn_high=3,
                warn_basis="high-sulfur coal (GB/T 15224.2-2010: above 3 %): check the fuel "
                "analysis before the SO2 factor uses it",
            ),
        ),
        C("ash_pct", "float", required=False, aliases=("灰分(%)",), bounds=_PERCENT),
        C("voc_content_pct", "float", required=False, aliases=("VOCs含量(%)",), bounds=_PERCENT),
    ),
)

TRANSPORT = FeedSpec(
    feed="transport",
    folder="transport",
    table="transport_gate",
    description="Truck gate records (门禁记录) and non-road bulk transport, plan tasks 10, 14.",
    columns=(
        ENTERPRISE_ID,
        C("gate_time", "datetime", aliases=("通行时间", "进出时间")),
        C("plate_no", "str", required=False, aliases=("车牌号",)),
        C("direction", "str", required=False, aliases=("进出方向",), description="in, out"),
        C("mode", "str", aliases=("运输方式",), description="road, rail, pipeline, belt"),
        C(
            "emission_standard",
            "str",
            required=False,
            aliases=("排放阶段",),
            description="china3, china4, china5, china6, electric, lng (road only)",
        ),
        C("cargo", "str", required=False, aliases=("货物名称",)),
        C("tonnes", "float", aliases=("载重(吨)", "净重(吨)"), bounds=_NOT_NEGATIVE),
    ),
)

MANUAL_TESTS = FeedSpec(
    feed="manual_tests",
    folder="manual_tests",
    table="manual_tests",
    description="Manual stack tests and comparison tests (手工监测/比对监测).",
    columns=(
        ENTERPRISE_ID,
        C("outlet_id", "str", aliases=("排放口编号",)),
        C("pollutant_code", "str", aliases=("污染物编码",)),
        C("test_date", "date", aliases=("监测日期",)),
        C(
            "converted_mg_m3",
            "float",
            aliases=("折算浓度",),
            bounds=Bounds(
                "a test reports 0 or more; 3 kg/m3 is denser than any pure pollutant gas",
                "mg/m3",
                low=0,
                high=3e6,
            ),
        ),
        C(
            "flow_m3_h",
            "float",
            required=False,
            aliases=("标干流量",),
            bounds=Bounds(
                "over ten times the flue gas of a 1,000 MW coal-fired unit (about 3 million m3/h)",
                "m3/h",
                low=0,
                high=3.6e7,
            ),
        ),
        C(
            "o2_pct",
            "float",
            required=False,
            aliases=("含氧量",),
            bounds=Bounds(
                "a volume fraction lies between 0 and 100 %",
                "%",
                low=0,
                high=100,
                warn_high=21,
                warn_basis="flue gas holds no more oxygen than air (20.9 %): an instrument or "
                "transcription error",
            ),
        ),
        C("report_no", "str", required=False, aliases=("报告编号",)),
    ),
)

# --- ambient air quality (plan tasks 13, 33, 35) ---------------------------------------------

AMBIENT_STATION_CODE = C("station_code", "str", aliases=("站点编码", "点位编码"))
# Hourly six-pollutant columns: value and the platform's data mark (empty = normal).
AMBIENT_POLLUTANTS: tuple[tuple[str, str, str], ...] = (
    ("so2", "SO2", "µg/m³"),
    ("no2", "NO2", "µg/m³"),
    ("co", "CO", "mg/m³"),
    ("o3", "O3", "µg/m³"),
    ("pm10", "PM10", "µg/m³"),
    ("pm25", "PM2.5", "µg/m³"),
)

AMBIENT_STATIONS = FeedSpec(
    feed="ambient_stations",
    folder="ambient",
    table="ambient_stations",
    file_glob="stations*",
    key=("station_code",),
    description="Ambient air-quality stations (空气质量监测站点): control and township stations.",
    columns=(
        AMBIENT_STATION_CODE,
        C("station_name", "str", aliases=("站点名称", "点位名称")),
        C(
            "station_type",
            "str",
            aliases=("站点类型",),
            description="control (国控/省控 city station), township (乡镇站)",
        ),
        C("township", "str", aliases=("所在乡镇", "乡镇")),
        C("longitude", "float", aliases=("经度",)),
        C("latitude", "float", aliases=("纬度",)),
        C("six_pollutant_since", "date", required=False, aliases=("六参数联网日期",)),
    ),
)

AMBIENT_HOURLY = FeedSpec(
    feed="ambient_hourly",
    folder="ambient/hourly",
    table="ambient_hourly",
    key=("station_code", "time_point"),
    description="Hourly six-pollutant station data (空气质量小时数据) with data marks.",
    columns=(
        AMBIENT_STATION_CODE,
        C(
            "time_point",
            "datetime",
            aliases=("时间", "监测时间"),
            description="end of the averaging hour (platform convention: 01:00 = 00:00-01:00; "
            "24:00 is written as 00:00 of the next day)",
        ),
        *(
            col
            for short, label, unit in AMBIENT_POLLUTANTS
            for col in (
                C(
                    short,
                    "float",
                    required=False,
                    aliases=(f"{label}({unit})", label),
                    description=f"hourly mean, {unit}",
                ),
                C(
                    f"{short}_flag",
                    "str",
                    required=False,
                    aliases=(f"{label}标识",),
                    description="data mark; empty = normal (see reference.ambient_data_flags)",
                ),
            )
        ),
    ),
)

AMBIENT_DAILY = FeedSpec(
    feed="ambient_daily",
    folder="ambient/daily",
    table="ambient_daily",
    key=("station_code", "date"),
    description="Daily station statistics (空气质量日数据) for the days without hourly files.",
    columns=(
        AMBIENT_STATION_CODE,
        C("date", "date", aliases=("日期",)),
        *(
            col
            for short, label, unit in AMBIENT_POLLUTANTS
            if short != "o3"
            for col in (
                C(
                    short,
                    "float",
                    required=False,
                    aliases=(f"{label}({unit})", label),
                    description=f"24-h mean of the valid hours, {unit}",
                ),
                C(
                    f"{short}_hours",
                    "int",
                    required=False,
                    aliases=(f"{label}有效小时数",),
                    description="valid hourly values behind the mean",
                ),
            )
        ),
        C(
            "o3_1h_max",
            "float",
            required=False,
            aliases=("O3日最大1小时(µg/m³)",),
            description="daily maximum hourly O3, µg/m³",
        ),
        C(
            "o3_hours",
            "int",
            required=False,
            aliases=("O3有效小时数",),
            description="valid hourly O3 values",
        ),
        C(
            "o3_8h_max",
            "float",
            required=False,
            aliases=("O3日最大8小时(µg/m³)",),
            description="daily maximum 8-h moving mean (windows ending 08:00-24:00), µg/m³",
        ),
        C(
            "o3_8h_count",
            "int",
            required=False,
            aliases=("O3有效8小时数",),
            description="valid 8-h means among the 17 windows ending 08:00-24:00",
        ),
    ),
)

DUSTFALL = FeedSpec(
    feed="dustfall",
    folder="ambient/dustfall",
    table="dustfall",
    key=("point_code", "period"),
    description="Monthly dust-fall per sampling point (降尘量监测), plan task 13.",
    columns=(
        C("point_code", "str", aliases=("点位编码",)),
        C("point_name", "str", required=False, aliases=("点位名称",)),
        C("township", "str", aliases=("乡镇", "乡镇（街道）")),
        C("period", "month", aliases=("月份", "监测月份")),
        C(
            "dustfall_t_km2_month",
            "float",
            aliases=("降尘量(吨/平方公里·月)", "降尘量"),
            description="t/(km²·month), 30-day normalised",
        ),
        C("sampling_days", "int", required=False, aliases=("采样天数",)),
    ),
)

ROAD_DUST = FeedSpec(
    feed="road_dust",
    folder="ambient/road_dust",
    table="road_dust",
    key=("road_code", "period"),
    description="Key-road particulate monitoring (重点道路颗粒物监控), plan task 13.",
    columns=(
        C("road_code", "str", aliases=("道路编码",)),
        C("road_name", "str", aliases=("道路名称",)),
        C(
            "road_class",
            "str",
            aliases=("道路类型",),
            description="national_provincial (国省道), county_township (县乡道路), "
            "urban_rural_fringe (城乡结合部), back_street (背街小巷)",
        ),
        C("township", "str", aliases=("所在乡镇", "乡镇")),
        C("period", "month", aliases=("月份",)),
        C("pm10_ug_m3", "float", aliases=("PM10月均浓度(µg/m³)", "PM10")),
        C("dust_load_g_m2", "float", required=False, aliases=("积尘负荷(g/m²)",)),
    ),
)

AMBIENT_FEEDS: tuple[FeedSpec, ...] = (
    AMBIENT_STATIONS,
    AMBIENT_HOURLY,
    AMBIENT_DAILY,
    DUSTFALL,
    ROAD_DUST,
)

LEDGER_FEEDS: tuple[FeedSpec, ...] = (
    REGISTRY_ENTERPRISES,
    REGISTRY_OUTLETS,
    REGISTRY_OUTLET_LIMITS,
    BOILERS,
    KILNS,
    VOC_SOURCES,
    ACTIVITY,
    TRANSPORT,
    MANUAL_TESTS,
    *AMBIENT_FEEDS,
)

FEEDS_BY_NAME = {f.feed: f for f in LEDGER_FEEDS}

# Mengzhou's 11 townships (DOMAIN.md §6).
TOWNSHIPS: tuple[str, ...] = (
    "大定街道",
    "会昌街道",
    "河雍街道",
    "河阳街道",
    "化工镇",
    "南庄镇",
    "城伯镇",
    "谷旦镇",
    "西虢镇",
    "赵和镇",
    "槐树乡",
)

PERFORMANCE_GRADES: tuple[str, ...] = ("A", "B", "B-", "C", "D")

KEY_INDUSTRIES: tuple[str, ...] = (
    "heat_power",
    "casting",
    "bricks",
    "glass",
    "chemicals",
    "fertilizer",
    "sand_gravel",
    "printing",
    "furniture",
    "car_repair",
    "leather",
    "herb_drying",
    "cement",
    "ceramics",
    "refractory",
)

# DuckDB type of each contract type in raw.<table>.
RAW_TYPES: dict[str, str] = {
    "str": "varchar",
    "int": "bigint",
    "float": "double",
    "bool": "boolean",
    "date": "date",
    "datetime": "timestamp",
    "month": "date",
}

# Columns every raw ledger table carries after the contract's own: where the record came from,
# unknown columns, the build, and the plausibility warnings the office must decide on.
RAW_LINEAGE_COLUMNS: dict[str, str] = {
    "source_file": "varchar",
    "line_no": "bigint",
    "sheet": "varchar",
    "extra_columns": "varchar",
    "build_id": "varchar",
    "warnings": "varchar",
}
