"""The synthetic county: enterprises, their units (boilers, kilns, VOC lines) and outlets.

Everything here is registry-level truth, built deterministically from a seed. Physics lives in
`physics.py`; file formats in `ledgers.py` and `cems.py`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from dagster_project.feeds.contracts import TOWNSHIPS
from dagster_project.feeds.uscc import make_uscc

# ASCII slugs used in file names (ledgers per township, CEMS folders).
TOWNSHIP_SLUGS: dict[str, str] = {
    "大定街道": "dading",
    "会昌街道": "huichang",
    "河雍街道": "heyong",
    "河阳街道": "heyang",
    "化工镇": "huagong",
    "南庄镇": "nanzhuang",
    "城伯镇": "chengbo",
    "谷旦镇": "gudan",
    "西虢镇": "xiguo",
    "赵和镇": "zhaohe",
    "槐树乡": "huaishu",
}
assert set(TOWNSHIP_SLUGS) == set(TOWNSHIPS)

# Approximate township centres around Mengzhou (112.79E, 34.91N); plainly approximate.
TOWNSHIP_CENTRES: dict[str, tuple[float, float]] = {
    "大定街道": (112.790, 34.905),
    "会昌街道": (112.775, 34.915),
    "河雍街道": (112.805, 34.900),
    "河阳街道": (112.785, 34.895),
    "化工镇": (112.870, 34.895),
    "南庄镇": (112.720, 34.925),
    "城伯镇": (112.905, 34.880),
    "谷旦镇": (112.745, 34.950),
    "西虢镇": (112.660, 34.905),
    "赵和镇": (112.840, 34.950),
    "槐树乡": (112.620, 34.945),
}

MENGZHOU = "410883"  # GB/T 2260 code of 孟州市, the sample county


@dataclass(frozen=True)
class Place:
    """Where a generated county lies in the province (so that several fit one provincial lake).

    `division` is the county's GB/T 2260 code. Mengzhou (the default, the `sources/` sample) keeps
    its own townships, places and codes. Any other county is Mengzhou's layout moved to its own
    place: every coordinate shifted by (`dlon`, `dlat`), a whole county-width away from Mengzhou and
    from every other division's place, so distance-based neighbours never cross a county line;
    its township names, dust-fall point codes and key-road codes carry the division code in front
    (`410801大定街道`, `410801JC011`), and its ambient station codes start with it as Mengzhou's
    do (`410801001`).
    """

    division: str = MENGZHOU

    def __post_init__(self) -> None:
        if not (len(self.division) == 6 and self.division.isdigit()):
            raise ValueError(f"county code must be six digits: {self.division!r}")

    @property
    def is_sample(self) -> bool:
        return self.division == MENGZHOU

    @property
    def offset(self) -> tuple[float, float]:
        """(dlon, dlat) in degrees: a grid of 0.6° × 0.5° cells (about 55 km each way; Mengzhou
        spans about 0.35° of longitude) north of Mengzhou, six to a row, one per division number."""
        if self.is_sample:
            return 0.0, 0.0
        n = int(self.division[-2:])
        return 0.6 * (n % 6) - 1.5, 0.5 * (n // 6 + 1)

    def name(self, local: str) -> str:
        """A township name, point or road code as this county's registries spell it."""
        return local if self.is_sample else f"{self.division}{local}"

    def at(self, longitude: float, latitude: float, digits: int) -> tuple[float, float]:
        dlon, dlat = self.offset
        return round(longitude + dlon, digits), round(latitude + dlat, digits)


# Pollutant short names -> HJ 212-2017 codes (and HJ/T 212-2005 codes for legacy loggers).
POLLUTANT_CODES: dict[str, str] = {
    "pm": "a34013",
    "so2": "a21026",
    "nox": "a21002",
    "nmhc": "a24088",
    "nh3": "a21001",
}
POLLUTANT_CODES_2005: dict[str, str] = {
    "pm": "01",
    "so2": "02",
    "nox": "03",
    # HJ/T 212-2005 has no NMHC code (its 25 is total hydrocarbons, a24087): loggers of that age
    # send the 2017 code inside an otherwise 2005 packet
    "nmhc": "a24088",
    "nh3": "10",
}

# Fictional trade names (字号): creatures of the 山海经, so no name reads as a real firm.
TRADE_NAMES: tuple[str, ...] = (
    "白泽",
    "当康",
    "鹿蜀",
    "旋龟",
    "类兽",
    "猼訑",
    "鵸鵌",
    "九尾",
    "赤鱬",
    "狸力",
    "鴸鸟",
    "长右",
    "猾褢",
    "彘兽",
    "鵕鸟",
    "蛊雕",
    "羬羊",
    "肥遗",
    "狍鸮",
    "数斯",
    "驳马",
    "帝江",
    "讙兽",
    "鵸余",
    "孟槐",
    "耳鼠",
    "诸犍",
    "那父",
    "竦斯",
    "领胡",
    "象蛇",
    "酸与",
    "从从",
    "狪狪",
    "軨軨",
    "珠蟞",
    "犰狳",
    "朱獳",
    "峳峳",
    "絜钩",
    "合窳",
    "蜚兽",
    "文鳐",
    "天狗",
    "毕方",
    "陆吾",
    "英招",
    "胜遇",
    "狡兽",
    "钦原",
    "鸾鸟",
    "凤皇",
    "乘黄",
    "驺吾",
    "精卫",
    "夫诸",
    "鸣蛇",
    "化蛇",
    "蠪蚳",
    "马腹",
    "犀渠",
    "獙獙",
    "蠃鱼",
    "鴖鸟",
    "当扈",
    "白鵺",
    "天马",
    "飞鼠",
    "山膏",
    "鮨鱼",
)


@dataclass
class Unit:
    """An emission unit: a boiler, kiln or VOC line, with its ledger attributes."""

    enterprise_id: str
    unit_id: str
    kind: str  # boiler, kiln, voc
    attrs: dict[str, Any] = field(default_factory=dict)  # ledger columns (canonical names)


@dataclass
class Outlet:
    """A release point (排放口). `mn` is None where no automatic monitoring is installed."""

    enterprise_id: str
    outlet_id: str
    mn: str | None
    outlet_name: str
    source_kind: str  # boiler, kiln, process, voc
    unit_id: str | None
    reference_o2: float | None
    networked: bool
    stack_height_m: float
    township: str
    key_industry: str
    pollutants: tuple[str, ...]  # short names, see POLLUTANT_CODES
    limits: dict[str, float]  # converted-basis hourly limits, mg/m3
    analyzer_range: dict[str, float]
    detection_limit: dict[str, float]
    # physics parameters
    profile: str  # continuous, heat_demand, heating_only, two_shift, day_shift, staggered
    design_flow_m3_s: float
    o2_full: float  # O2 % at full load
    o2_low: float  # O2 % at 30 % load
    temp_full_c: float
    humidity_pct: float
    base_fraction: dict[str, float]  # typical converted level as a fraction of the limit
    protocol: str = "2017"  # "2005" for a legacy logger
    capacity: float = 0.0  # boiler t/h, kiln units/day... for activity data
    fuel: str | None = None

    @property
    def monitored(self) -> bool:
        return self.mn is not None


@dataclass
class Enterprise:
    enterprise_id: str
    name: str
    township: str
    industry_code: str
    key_industry: str
    performance_grade: str
    permit_no: str
    longitude: float
    latitude: float
    in_park: bool
    eia_capacity: float
    permit_capacity: float
    prior_year_output: float
    capacity_unit: str
    template: str
    units: list[Unit] = field(default_factory=list)
    outlets: list[Outlet] = field(default_factory=list)


@dataclass
class County:
    seed: int
    enterprises: list[Enterprise]
    place: Place = field(default_factory=Place)

    @property
    def outlets(self) -> list[Outlet]:
        return [o for e in self.enterprises for o in e.outlets]

    @property
    def monitored_outlets(self) -> list[Outlet]:
        return [o for o in self.outlets if o.monitored]

    @property
    def units(self) -> list[Unit]:
        return [u for e in self.enterprises for u in e.units]

    def enterprise(self, enterprise_id: str) -> Enterprise:
        return next(e for e in self.enterprises if e.enterprise_id == enterprise_id)


@dataclass(frozen=True)
class FlueGas:
    """What a kind of source sends up its stack, whatever the enterprise: the limit category (see
    `_limits`), the pollutants, the reference O2 (None: limits apply to measured values), O2 %
    at full and at 30 % load, stack temperature at full load (°C) and humidity (%)."""

    category: str
    pollutants: tuple[str, ...]
    ref_o2: float | None
    o2: tuple[float, float]
    temp: float
    humidity: float


PM_SO2_NOX = ("pm", "so2", "nox")
BOILER_GAS: dict[str, FlueGas] = {  # by fuel
    "coal": FlueGas("ultra_low", PM_SO2_NOX, 9.0, (6.5, 10.5), 52.0, 11.5),
    "gas": FlueGas("gas_boiler", PM_SO2_NOX, 3.5, (3.2, 6.5), 85.0, 9.0),
    "biomass": FlueGas("ultra_low", PM_SO2_NOX, 9.0, (7.5, 11.5), 120.0, 7.0),
}
KILN_GAS: dict[str, FlueGas] = {  # by template: the kiln stack each one has
    "bricks": FlueGas("brick", PM_SO2_NOX, 18.0, (15.5, 18.5), 48.0, 12.0),
    "glass": FlueGas("glass", PM_SO2_NOX, 8.0, (7.0, 10.5), 135.0, 8.0),
    "fertilizer": FlueGas("fertilizer_dryer", (*PM_SO2_NOX, "nh3"), None, (16.5, 19.0), 62.0, 14.0),
    "cement_clinker": FlueGas("ultra_low", PM_SO2_NOX, 10.0, (9.0, 12.0), 95.0, 9.0),
    "refractory": FlueGas("casting", PM_SO2_NOX, None, (14.0, 17.0), 120.0, 6.0),
    "ceramics": FlueGas("brick", PM_SO2_NOX, 18.0, (16.0, 18.5), 90.0, 6.0),
}
DUST_GAS = FlueGas("dust", ("pm",), None, (20.3, 20.7), 35.0, 2.5)
VOC_GAS = FlueGas("voc", ("nmhc",), None, (19.6, 20.4), 30.0, 3.0)
VOC_GAS_OXIDISED = replace(VOC_GAS, temp=110.0)  # after an RTO/RCO the gas leaves hot

FUEL_LABEL = {"coal": "燃煤", "gas": "燃气", "biomass": "生物质"}
PROCESS_LABEL = {
    "printing": "印刷",
    "coating": "喷涂",
    "chemical": "工艺废气",
    "adhesive": "复合",
    "storage": "储罐呼吸",
    "cleaning": "清洗",
}

# Templates: (template, key_industry, industry codes, name suffix, townships, capacity unit,
# capacity range, count in a 60-enterprise county).
TEMPLATES: tuple[
    tuple[str, str, tuple[str, ...], str, tuple[str, ...], str, tuple[float, float], int], ...
] = (
    (
        "heat_coal",
        "heat_power",
        ("4430", "4412"),
        "热电有限公司",
        ("河阳街道", "化工镇"),
        "GJ",
        (1.5e6, 3e6),
        2,
    ),
    (
        "bricks",
        "bricks",
        ("3031",),
        "新型建材有限公司",
        ("槐树乡", "西虢镇", "城伯镇", "赵和镇", "谷旦镇"),
        "万块标砖",
        (6000, 12000),
        8,
    ),
    (
        "chemicals",
        "chemicals",
        ("2614", "2619", "2661", "2669"),
        "化工有限公司",
        ("化工镇",),
        "t",
        (2e4, 8e4),
        8,
    ),
    (
        "glass",
        "glass",
        ("3055", "3059", "3054"),
        "玻璃制品有限公司",
        ("赵和镇", "西虢镇", "城伯镇"),
        "t",
        (2e4, 6e4),
        3,
    ),
    (
        "printing",
        "printing",
        ("2319", "2231"),
        "包装印务有限公司",
        ("河阳街道", "会昌街道", "河雍街道"),
        "万平方米",
        (500, 3000),
        5,
    ),
    (
        "casting",
        "casting",
        ("3391", "3392"),
        "铸造有限公司",
        ("城伯镇", "西虢镇", "化工镇"),
        "t",
        (5000, 30000),
        4,
    ),
    (
        "herb_drying",
        "herb_drying",
        ("2730", "0171"),
        "中药材加工有限公司",
        ("西虢镇", "谷旦镇", "赵和镇"),
        "t",
        (500, 3000),
        5,
    ),
    (
        "car_repair",
        "car_repair",
        ("8111",),
        "汽车维修服务有限公司",
        ("大定街道", "会昌街道", "河雍街道", "河阳街道"),
        "台次",
        (2000, 8000),
        5,
    ),
    ("leather", "leather", ("1910", "1931"), "皮业有限公司", ("南庄镇",), "万张", (20, 120), 3),
    (
        "furniture",
        "furniture",
        ("2110", "2190"),
        "家具有限公司",
        ("城伯镇", "谷旦镇", "南庄镇"),
        "件",
        (1e4, 6e4),
        4,
    ),
    (
        "sand_gravel",
        "sand_gravel",
        ("3032", "1019"),
        "砂石料有限公司",
        ("槐树乡", "赵和镇", "城伯镇"),
        "t",
        (2e5, 1e6),
        4,
    ),
    (
        "fertilizer",
        "fertilizer",
        ("2624", "2621"),
        "肥业有限公司",
        ("化工镇", "谷旦镇"),
        "t",
        (5e4, 2e5),
        2,
    ),
    (
        "heat_gas",
        "heat_power",
        ("4430",),
        "供热有限公司",
        ("大定街道", "会昌街道"),
        "GJ",
        (2e5, 8e5),
        2,
    ),
    ("cement_clinker", "cement", ("3011",), "水泥有限公司", ("槐树乡",), "t熟料", (9e5, 1.5e6), 1),
    (
        "heat_biomass",
        "heat_power",
        ("4417",),
        "生物质能源有限公司",
        ("谷旦镇",),
        "GJ",
        (5e5, 1e6),
        1,
    ),
    ("cement_grinding", "cement", ("3011",), "建材粉磨有限公司", ("西虢镇",), "t", (3e5, 6e5), 1),
    ("refractory", "refractory", ("3089",), "耐火材料有限公司", ("城伯镇",), "t", (1e4, 3e4), 1),
    ("ceramics", "ceramics", ("3074",), "陶瓷有限公司", ("赵和镇",), "万件", (50, 200), 1),
)
TEMPLATE_BY_NAME = {t[0]: t for t in TEMPLATES}


def template_sequence(n: int) -> list[str]:
    """The template of each enterprise slot: round-robin over templates (so a small county still
    spans the industries), each template at most its count per 60 slots, then repeat."""
    base: list[str] = []
    remaining = {t[0]: t[7] for t in TEMPLATES}
    while any(remaining.values()):
        for t in TEMPLATES:
            if remaining[t[0]]:
                base.append(t[0])
                remaining[t[0]] -= 1
    return [base[i % len(base)] for i in range(n)]


class _Ids:
    """Unique MNs and names across the county."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.mns: set[str] = set()
        self.names: set[str] = set()

    def mn(self, style: str) -> str:
        while True:
            if style == "14":  # HJ/T 212-2005 era loggers: 14 digits
                mn = "410883" + "".join(self.rng.choice("0123456789") for _ in range(8))
            else:  # 2017: 24 hex characters from an EPC-96 code
                mn = "4108830" + "".join(self.rng.choice("0123456789ABCDEF") for _ in range(17))
            if mn not in self.mns:
                self.mns.add(mn)
                return mn


def _limits(category: str, rng: random.Random) -> dict[str, float]:
    """Converted-basis hourly limits (mg/m3) by source category. The categories mirror the plan's
    ultra-low targets (10/35/50) and looser sector limits; the values are sample data
    (DOMAIN.md: limits of unverified local standards stay data, never code)."""
    table: dict[str, dict[str, float]] = {
        "ultra_low": {"pm": 10, "so2": 35, "nox": 50},
        "gas_boiler": {"pm": 5, "so2": 10, "nox": 30 if rng.random() < 0.6 else 50},
        "brick": {"pm": 20, "so2": 150, "nox": 150}
        if rng.random() < 0.6
        else {"pm": 10, "so2": 35, "nox": 100},
        "glass": {"pm": 20, "so2": 100, "nox": 200},
        "fertilizer_dryer": {"pm": 10, "so2": 100, "nox": 150, "nh3": 8},
        "casting": {"pm": 10, "so2": 50, "nox": 150},
        "voc": {"nmhc": 60 if rng.random() < 0.5 else 80},
        "dust": {"pm": 10},
    }
    return dict(table[category])


def _range_for(limit: float) -> float:
    for r in (20, 50, 100, 200, 300, 500, 1000, 2000):
        if r >= 2.5 * limit:
            return float(r)
    return 5000.0


def build_county(seed: int = 2023, enterprises: int = 60, place: Place | None = None) -> County:
    """The deterministic registry of a Mengzhou-like county (at `place`, Mengzhou by default).
    Enterprises keep the canonical township names; writers spell them with `place.name`."""
    place = place or Place()
    rng = random.Random(seed)
    ids = _Ids(random.Random(seed * 7919 + 1))
    names = list(TRADE_NAMES)
    rng.shuffle(names)
    county = County(seed=seed, enterprises=[], place=place)
    builders = _Builders(rng, ids)
    for i, tmpl in enumerate(template_sequence(enterprises)):
        _, key, codes, suffix, towns, cap_unit, cap_range, _ = TEMPLATE_BY_NAME[tmpl]
        trade = names[i % len(names)] + ("" if i < len(names) else str(i // len(names) + 1))
        township = rng.choice(towns)
        lon0, lat0 = TOWNSHIP_CENTRES[township]
        uscc = make_uscc(rng)
        eia = round(rng.uniform(*cap_range), -1 if cap_range[1] < 1e4 else -3)
        ent = Enterprise(
            enterprise_id=uscc,
            name=f"孟州市{trade}{suffix}",
            township=township,
            industry_code=rng.choice(codes),
            key_industry=key,
            performance_grade=builders.grade(tmpl),
            permit_no=f"{uscc}{rng.randint(1, 3):03d}{rng.choice('VVVU')}",
            longitude=round(lon0 + rng.uniform(-0.025, 0.025) + place.offset[0], 6),
            latitude=round(lat0 + rng.uniform(-0.018, 0.018) + place.offset[1], 6),
            in_park=township == "化工镇" and tmpl in ("chemicals", "fertilizer"),
            eia_capacity=eia,
            permit_capacity=eia if rng.random() < 0.7 else round(eia * 0.9, 1),
            prior_year_output=round(eia * rng.uniform(0.55, 0.95), 1),
            capacity_unit=cap_unit,
            template=tmpl,
        )
        builders.populate(ent)
        county.enterprises.append(ent)
    builders.finish(county)
    return county


def enterprises_for(seed: int, cems_outlets: int) -> int:
    """The fewest enterprises whose county has at least `cems_outlets` CEMS outlets. A county
    grows enterprise by enterprise (a larger county extends a smaller one with the same seed),
    so the count is read from one county large enough."""
    n = 64
    while True:
        county = build_county(seed, n)
        monitored = 0
        for k, ent in enumerate(county.enterprises, start=1):
            monitored += sum(1 for o in ent.outlets if o.monitored)
            if monitored >= cems_outlets:
                return k
        n *= 2


class _Builders:
    """Per-template construction of units and outlets."""

    def __init__(self, rng: random.Random, ids: _Ids) -> None:
        self.rng = rng
        self.ids = ids
        self.counter: dict[str, int] = {}

    # -- helpers -------------------------------------------------------------------------
    def grade(self, tmpl: str) -> str:
        r = self.rng.random()
        if tmpl in ("car_repair", "herb_drying", "sand_gravel") and r < 0.35:
            return ""
        return ("A", "B", "B", "B-", "C", "C", "C", "D")[int(self.rng.random() * 8)]

    def nth(self, tmpl: str) -> int:
        self.counter[tmpl] = self.counter.get(tmpl, 0) + 1
        return self.counter[tmpl]

    def outlet(
        self,
        ent: Enterprise,
        *,
        name: str,
        kind: str,
        unit: Unit | None,
        gas: FlueGas,
        monitored: bool,
        profile: str,
        flow: float,
        capacity: float = 0.0,
        fuel: str | None = None,
        networked: bool = True,
    ) -> Outlet:
        rng = self.rng
        n = len(ent.outlets) + 1
        pollutants = gas.pollutants
        limits = _limits(gas.category, rng)
        limits = {p: limits[p] for p in pollutants}
        o = Outlet(
            enterprise_id=ent.enterprise_id,
            outlet_id=f"DA{n:03d}",
            mn=self.ids.mn("14" if rng.random() < 0.25 else "24") if monitored else None,
            outlet_name=name,
            source_kind=kind,
            unit_id=unit.unit_id if unit else None,
            reference_o2=gas.ref_o2,
            networked=networked if monitored else False,
            stack_height_m=float(rng.choice((15, 20, 25, 30, 35, 40, 45, 60, 80))),
            township=ent.township,
            key_industry=ent.key_industry,
            pollutants=pollutants,
            limits=limits,
            analyzer_range={p: _range_for(v) for p, v in limits.items()},
            detection_limit={
                p: {"pm": 1.0, "so2": 3.0, "nox": 3.0, "nmhc": 0.07, "nh3": 0.25}[p]
                for p in pollutants
            },
            profile=profile,
            design_flow_m3_s=round(flow, 2),
            o2_full=gas.o2[0],
            o2_low=gas.o2[1],
            temp_full_c=gas.temp,
            humidity_pct=gas.humidity,
            base_fraction={p: round(rng.uniform(0.3, 0.65), 3) for p in pollutants},
            capacity=capacity,
            fuel=fuel,
        )
        ent.outlets.append(o)
        return o

    def unit(self, ent: Enterprise, prefix: str, kind: str, **attrs: Any) -> Unit:
        k = sum(1 for u in ent.units if u.unit_id.startswith(prefix)) + 1
        u = Unit(ent.enterprise_id, f"{prefix}{k:02d}", kind, attrs)
        ent.units.append(u)
        return u

    # -- boilers -------------------------------------------------------------------------
    def boiler(
        self,
        ent: Enterprise,
        fuel: str,
        cap: float,
        *,
        profile: str,
        monitored: bool | None = None,
        co_firing: str = "none",
        networked: bool = True,
        status: str = "in_use",
        year: int | None = None,
    ) -> Unit:
        rng = self.rng
        needs_monitoring = (
            (fuel == "coal") or (fuel == "gas" and cap >= 10) or (fuel == "biomass" and cap >= 4)
        )
        if monitored is None:
            monitored = needs_monitoring
        low_nox = fuel == "gas" and rng.random() < 0.8
        fgr = "none"
        if fuel == "gas":
            fgr = rng.choice(("electric", "pneumatic", "lead_seal", "manual", "electric"))
        attrs = {
            "fuel": fuel,
            "capacity_t_h": cap,
            "status": status,
            "commissioned_year": year or rng.randint(2008, 2021),
            "low_nox_burner": low_nox if fuel == "gas" else False,
            "fgr_valve": fgr,
            "co_firing": co_firing,
            "dedicated_burner": fuel == "biomass" and rng.random() < 0.7,
            "dust_control": {"coal": "bag_filter+wet_esp", "biomass": "bag_filter", "gas": "none"}[
                fuel
            ],
            "desulfurization": {
                "coal": "wet_limestone",
                "biomass": rng.choice(("semi_dry", "none")),
                "gas": "none",
            }[fuel],
            "denitrification": {
                "coal": "sncr+scr",
                "biomass": "sncr",
                "gas": "low_nox_burner" if low_nox else "none",
            }[fuel],
            "auto_monitoring": monitored,
            "monitoring_networked": monitored and networked,
        }
        u = self.unit(ent, "GL", "boiler", **attrs)
        if status != "in_use":
            return u
        self.outlet(
            ent,
            name=f"{cap:g}t/h{FUEL_LABEL[fuel]}锅炉排放口",
            kind="boiler",
            unit=u,
            gas=BOILER_GAS[fuel],
            monitored=monitored,
            profile=profile,
            flow=cap * {"coal": 0.45, "gas": 0.30, "biomass": 0.55}[fuel],
            capacity=cap,
            fuel=fuel,
            networked=networked,
        )
        return u

    # -- kilns ---------------------------------------------------------------------------
    def kiln(
        self,
        ent: Enterprise,
        kiln_type: str,
        *,
        capacity: float | None = None,
        capacity_unit: str = "t/年",
        **attrs: Any,
    ) -> Unit:
        """A kiln's ledger row; unless given, its capacity is the enterprise's EIA capacity in
        t/年 (most templates have one production kiln)."""
        base = {
            "kiln_type": kiln_type,
            "product": None,
            "fuel": None,
            "capacity": ent.eia_capacity if capacity is None else capacity,
            "capacity_unit": capacity_unit,
            "dust_control": None,
            "desulfurization": "none",
            "denitrification": "none",
            "voc_control": None,
            "uses_ammonia": False,
            "ammonia_slip_monitoring": False,
            "damage_found": False,
            "damage_description": None,
            "found_date": None,
            "rectification_deadline": None,
            "rectified_date": None,
        }
        base.update(attrs)
        return self.unit(ent, "YL" if kiln_type != "dryer" else "HG", "kiln", **base)

    def damage(self, attrs: dict[str, Any], kiln_type: str) -> None:
        """Tunnel-kiln / gas-generator damage findings (plan task 20): inventory by end of May
        2023, rectification deadline end of October 2023; some fixed, some overdue."""
        from datetime import date, timedelta

        rng = self.rng
        if rng.random() < 0.55:
            found = date(2023, 3, 1) + timedelta(days=rng.randint(0, 90))
            desc = {
                "tunnel_kiln": rng.choice(("窑顶局部破损漏风", "窑车密封砂槽破损", "窑门密封不严")),
                "gas_generator": rng.choice(
                    ("煤气发生炉水封破损", "炉体保温层脱落", "放散管阀门泄漏")
                ),
            }.get(kiln_type, "炉体局部破损")
            r = rng.random()
            rectified = None
            if r < 0.55:
                rectified = date(2023, 6, 1) + timedelta(days=rng.randint(0, 140))
            elif r < 0.75:
                rectified = date(2023, 11, 5) + timedelta(days=rng.randint(0, 15))  # late
            attrs.update(
                damage_found=True,
                damage_description=desc,
                found_date=found,
                rectification_deadline=date(2023, 10, 31),
                rectified_date=rectified,
            )

    # -- VOC lines -----------------------------------------------------------------------
    def voc(
        self,
        ent: Enterprise,
        process: str,
        *,
        treatment: str,
        capture: str,
        seal_points: int | None = None,
        material: str | None = None,
        monitored: bool = False,
        profile: str = "day_shift",
        flow: float = 8.0,
    ) -> Unit:
        from datetime import date, timedelta

        rng = self.rng
        carbon = treatment == "activated_carbon" or (
            treatment in ("rto", "rco") and rng.random() < 0.3
        )
        attrs = {
            "process": process,
            "material": material,
            "low_voc_substituted": rng.random() < 0.45,
            "seal_points": seal_points,
            "ldar_done": None
            if seal_points is None
            else (seal_points < 1000 or rng.random() < 0.6),
            "capture_type": capture,
            "treatment_tech": treatment,
            "carbon_last_replaced": (date(2023, 11, 1) - timedelta(days=rng.randint(10, 200)))
            if carbon
            else None,
            "carbon_interval_days": rng.choice((60, 90, 90, 120)) if carbon else None,
            "combustion_temp_records_months": rng.choice((6, 12, 12, 18, 24, 9))
            if treatment in ("rto", "rco")
            else None,
            "bypass": rng.choice(
                ("none", "none", "none", "emergency_sealed", "emergency_unsealed", "open")
            ),
        }
        u = self.unit(ent, "SC", "voc", **attrs)
        self.outlet(
            ent,
            name=f"{PROCESS_LABEL.get(process, process)}VOCs排放口",
            kind="voc",
            unit=u,
            gas=VOC_GAS_OXIDISED if treatment in ("rto", "rco") else VOC_GAS,
            monitored=monitored,
            profile=profile,
            flow=flow,
        )
        return u

    def dust(
        self,
        ent: Enterprise,
        name: str,
        unit: Unit | None = None,
        monitored: bool = False,
        profile: str = "day_shift",
        flow: float = 6.0,
    ) -> Outlet:
        return self.outlet(
            ent,
            name=name,
            kind="process",
            unit=unit,
            gas=DUST_GAS,
            monitored=monitored,
            profile=profile,
            flow=flow,
        )

    def kiln_stack(
        self,
        ent: Enterprise,
        kiln: Unit,
        name: str,
        *,
        monitored: bool,
        profile: str,
        flow: float,
        capacity: float = 0.0,
        fuel: str | None = None,
    ) -> Outlet:
        """The flue-gas outlet of the template's main kiln (gas from `KILN_GAS`)."""
        return self.outlet(
            ent,
            name=name,
            kind="kiln",
            unit=kiln,
            gas=KILN_GAS[ent.template],
            monitored=monitored,
            profile=profile,
            flow=flow,
            capacity=capacity,
            fuel=fuel,
        )

    # -- templates -----------------------------------------------------------------------
    def populate(self, ent: Enterprise) -> None:
        rng = self.rng
        t = ent.template
        n = self.nth(t)
        if t == "heat_coal":
            for _ in range(2):
                self.boiler(
                    ent,
                    "coal",
                    rng.choice((75.0, 130.0)),
                    profile="heat_demand",
                    year=rng.randint(2012, 2019),
                )
        elif t == "heat_gas":
            # gas heating stations: heating season from 15 November; the second one is not networked
            self.boiler(
                ent, "gas", rng.choice((14.0, 20.0, 29.0)), profile="heating_only", networked=n != 2
            )
            if n == 1:
                self.boiler(ent, "gas", 4.0, profile="heating_only", status="standby")
        elif t == "heat_biomass":
            self.boiler(ent, "biomass", 35.0, profile="heat_demand")
        elif t == "bricks":
            cap = ent.eia_capacity
            integrated = rng.random() < 0.35
            uses_nh3 = rng.random() < 0.5
            attrs: dict[str, Any] = {
                "product": "烧结砖",
                "fuel": "coal_gangue_internal",
                "capacity": cap,
                "capacity_unit": "万块/年",
                "dust_control": "wet_esp" if not integrated else "water_film",
                "desulfurization": "dust_desulf_integrated"
                if integrated
                else rng.choice(("wet_limestone", "simple_alkali", "wet_limestone")),
                "denitrification": "sncr"
                if uses_nh3
                else rng.choice(("none", "wet_denitration", "oxidation_denitration")),
                "uses_ammonia": uses_nh3,
                "ammonia_slip_monitoring": uses_nh3 and rng.random() < 0.5,
            }
            self.damage(attrs, "tunnel_kiln")
            k = self.kiln(ent, "tunnel_kiln", **attrs)
            self.kiln(
                ent,
                "dryer",
                product="砖坯干燥",
                fuel="kiln_waste_heat",
                capacity=cap,
                capacity_unit="万块/年",
                dust_control="shared",
                desulfurization="shared",
                denitrification="shared",
            )
            # the seventh brick works has no CEMS: the boiler/kiln action lists must catch it
            staggered = ent.performance_grade in ("C", "D")
            o = self.kiln_stack(
                ent,
                k,
                "隧道窑焙烧烟气排放口",
                monitored=n != 7,
                profile="staggered" if staggered else "continuous",
                flow=cap / 12000 * 38 + 10,
                capacity=cap,
                fuel="coal_gangue",
            )
            if uses_nh3 and o.monitored:
                self._add_nh3(o)
            self.dust(ent, "原料破碎废气排放口")
        elif t == "glass":
            has_gen = n != 3
            if has_gen:
                gattrs: dict[str, Any] = {
                    "product": "发生炉煤气",
                    "fuel": "coal",
                    "capacity": 2.6,
                    "capacity_unit": "m(炉径)",
                    "dust_control": "electric_tar_catcher",
                    "desulfurization": "wet_pds",
                }
                self.damage(gattrs, "gas_generator")
                self.kiln(ent, "gas_generator", **gattrs)
            k = self.kiln(
                ent,
                "glass_furnace",
                product=rng.choice(("玻璃瓶罐", "玻璃器皿", "高硼硅玻璃")),
                fuel="producer_gas" if has_gen else "natural_gas",
                dust_control=rng.choice(("bag_filter", "ceramic_filter")),
                desulfurization=rng.choice(("semi_dry", "dust_desulf_integrated", "simple_alkali")),
                denitrification=rng.choice(("scr", "sncr", "oxidation_denitration")),
                voc_control=rng.choice((None, "plasma", "photocatalysis")),
                uses_ammonia=True,
                ammonia_slip_monitoring=rng.random() < 0.5,
            )
            self.kiln_stack(
                ent,
                k,
                "玻璃熔窑烟气排放口",
                monitored=n != 3,
                profile="continuous",
                flow=ent.eia_capacity / 60000 * 12 + 4,
                capacity=ent.eia_capacity,
                fuel="producer_gas" if has_gen else "natural_gas",
            )
        elif t == "chemicals":
            if n in (1, 4):
                self.boiler(
                    ent, "gas", 15.0 if n == 1 else 12.0, profile="two_shift", monitored=n == 1
                )  # n == 4: a >= 10 t/h gas boiler without CEMS
            elif rng.random() < 0.5:
                self.boiler(ent, "gas", rng.choice((2.0, 4.0, 6.0)), profile="two_shift")
            seal = rng.choice((450, 800, 1200, 1800, 2600, 3400))
            self.voc(
                ent,
                "chemical",
                treatment=rng.choice(("rto", "rto", "rco", "activated_carbon")),
                capture="sealed_negative_pressure",
                seal_points=seal,
                material=rng.choice(("甲苯", "甲醇", "乙酸乙酯", "二甲苯")),
                monitored=n in (1, 2, 3),
                profile="continuous",
                flow=rng.uniform(4, 12),
            )
            self.voc(
                ent,
                "storage",
                treatment=rng.choice(("activated_carbon", "none", "rto")),
                capture="enclosed",
                profile="continuous",
                flow=1.5,
            )
        elif t == "fertilizer":
            k = self.kiln(
                ent,
                "dryer",
                product="复合肥",
                fuel=rng.choice(("coal", "natural_gas")),
                dust_control="cyclone+bag_filter",
                desulfurization="simple_ammonia" if n == 1 else "wet_limestone",
                uses_ammonia=True,
                ammonia_slip_monitoring=n != 1,
            )
            o = self.kiln_stack(
                ent,
                k,
                "烘干造粒尾气排放口",
                monitored=True,
                profile="continuous",
                flow=ent.eia_capacity / 2e5 * 20 + 6,
                capacity=ent.eia_capacity,
                fuel="coal",
            )
            o.base_fraction["pm"] = 0.55
        elif t == "casting":
            k = self.kiln(
                ent,
                rng.choice(("cupola", "other")),
                product="铸件",
                fuel=rng.choice(("coke", "electric")),
                dust_control="bag_filter",
            )
            self.dust(ent, "熔炼废气排放口", k, monitored=n == 1, profile="two_shift", flow=9.0)
            self.voc(
                ent,
                "coating",
                treatment=rng.choice(("activated_carbon", "uv_photolysis")),
                capture="local_hood",
                material="水性漆" if rng.random() < 0.4 else "溶剂型漆",
            )
        elif t == "printing":
            tr = (
                "rto"
                if n == 1
                else rng.choice(("activated_carbon", "activated_carbon", "rco", "uv_photolysis"))
            )
            self.voc(
                ent,
                "printing",
                treatment=tr,
                capture=rng.choice(("sealed_negative_pressure", "enclosed", "local_hood")),
                material=rng.choice(("溶剂型油墨", "水性油墨", "UV油墨")),
                monitored=n == 1,
                profile="day_shift",
                flow=7.0,
            )
            if rng.random() < 0.5:
                self.voc(
                    ent,
                    "adhesive",
                    treatment="activated_carbon",
                    capture="local_hood",
                    material="复合胶",
                )
        elif t == "furniture":
            self.voc(
                ent,
                "coating",
                treatment=rng.choice(
                    ("activated_carbon", "uv_photolysis", "plasma", "water_spray+activated_carbon")
                ),
                capture=rng.choice(("enclosed", "local_hood")),
                material=rng.choice(("水性木器漆", "PU漆", "NC漆")),
            )
            self.dust(ent, "木工打磨废气排放口")
        elif t == "car_repair":
            self.voc(
                ent,
                "coating",
                treatment=rng.choice(("activated_carbon", "activated_carbon", "photocatalysis")),
                capture="enclosed",
                material=rng.choice(("水性漆", "溶剂型漆")),
            )
        elif t == "leather":
            self.boiler(ent, "gas", 10.0 if n == 1 else rng.choice((4.0, 6.0)), profile="two_shift")
            self.voc(
                ent,
                "coating",
                treatment=rng.choice(("activated_carbon", "water_spray", "rco")),
                capture="enclosed",
                material="皮革涂饰剂",
            )
        elif t == "herb_drying":
            fuel = ("biomass", "coal", "natural_gas", "biomass", "electric")[(n - 1) % 5]
            k = self.kiln(
                ent,
                "dryer",
                product=rng.choice(("地黄", "山药", "怀菊花")),
                fuel=fuel,
                dust_control="cyclone" if fuel != "electric" else None,
            )
            if fuel == "biomass":
                # small biomass boilers feeding the dryers; the first co-fires coal (plan task 21)
                self.boiler(
                    ent,
                    "biomass",
                    2.0 if n == 1 else 4.0,
                    profile="day_shift",
                    co_firing="coal" if n == 1 else "none",
                    monitored=False,
                )
            elif fuel == "coal":
                self.dust(ent, "烘干热风炉排放口", k, profile="day_shift", flow=3.0)
        elif t == "sand_gravel":
            self.dust(ent, "破碎筛分废气排放口")
            self.dust(ent, "上料口除尘排放口")
        elif t == "cement_clinker":
            k = self.kiln(
                ent,
                "rotary_kiln",
                product="水泥熟料",
                fuel="coal",
                dust_control="bag_filter",
                desulfurization="wet_limestone",
                denitrification="sncr+scr",
                uses_ammonia=True,
                ammonia_slip_monitoring=True,
            )
            o = self.kiln_stack(
                ent,
                k,
                "窑尾烟气排放口",
                monitored=True,
                profile="staggered",
                flow=ent.eia_capacity / 1.2e6 * 95,
                capacity=ent.eia_capacity,
                fuel="coal",
            )
            self._add_nh3(o)
            self.dust(ent, "窑头废气排放口", k, profile="staggered", flow=40.0)
        elif t == "cement_grinding":
            self.dust(ent, "水泥磨废气排放口", profile="two_shift", flow=12.0)
            self.dust(ent, "包装废气排放口", profile="two_shift")
        elif t == "refractory":
            k = self.kiln(
                ent, "shuttle_kiln", product="耐火砖", fuel="natural_gas", dust_control="bag_filter"
            )
            self.kiln_stack(
                ent, k, "梭式窑烟气排放口", monitored=False, profile="continuous", flow=5.0
            )
        elif t == "ceramics":
            k = self.kiln(
                ent,
                "tunnel_kiln",
                product="日用陶瓷",
                fuel="natural_gas",
                capacity_unit="万件/年",
                dust_control="bag_filter",
                desulfurization="simple_alkali",
            )
            self.kiln_stack(
                ent, k, "窑炉烟气排放口", monitored=False, profile="continuous", flow=6.0
            )

    def _add_nh3(self, o: Outlet) -> None:
        o.pollutants = (*o.pollutants, "nh3")
        o.limits["nh3"] = 8.0
        o.analyzer_range["nh3"] = 20.0
        o.detection_limit["nh3"] = 0.25
        o.base_fraction["nh3"] = round(self.rng.uniform(0.15, 0.35), 3)

    def finish(self, county: County) -> None:
        """County-level choices made once every outlet exists: the legacy (2005) logger."""
        legacy = [o for o in county.monitored_outlets if o.key_industry == "fertilizer"]
        legacy = legacy or [o for o in county.monitored_outlets if o.source_kind == "kiln"]
        if legacy:
            o = legacy[0]
            o.protocol = "2005"
            if o.mn is not None and len(o.mn) != 14:  # 2005-era loggers carry 14-digit MNs
                o.mn = self.ids.mn("14")
