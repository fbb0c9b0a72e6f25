"""The second world's enterprises, units and stacks (data classes), the flue gas each kind of
stack carries (`GAS`), and the builder `Mix` that gives them unique ids, plainly fictional
names (the 28 lunar mansions and the stars of the Dipper as trade names) and MNs. The plant
mix itself is in `mix.py`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from dagster_project.feeds.uscc import make_uscc

TRADE_NAMES = (
    "角宿", "亢宿", "氐宿", "房宿", "心宿", "尾宿", "箕宿", "斗宿", "牛宿", "女宿", "虚宿",
    "危宿", "室宿", "壁宿", "奎宿", "娄宿", "胃宿", "昴宿", "毕宿", "觜宿", "参宿", "井宿",
    "鬼宿", "柳宿", "星宿", "张宿", "翼宿", "轸宿", "天枢", "天璇", "天玑", "天权", "玉衡",
    "开阳", "摇光",
)  # fmt: skip

# (longitude, latitude) roughly at each township of the county
TOWNSHIPS = {
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

PM_SO2_NOX = ("pm", "so2", "nox")


@dataclass(frozen=True)
class Gas:
    """What a kind of stack carries: pollutants, reference O2 (None: limits on the measured
    value), hourly limits (sample data, mg/m3), O2 % at full and low load, stack temperature (°C)
    at full load, and the share of full flow its fans keep at zero load."""

    source_kind: str
    pollutants: tuple[str, ...]
    ref_o2: float | None
    limits: dict[str, float]
    o2: tuple[float, float]
    temp: float
    q_floor: float = 0.3


GAS: dict[str, Gas] = {
    "coal_chp": Gas("boiler", PM_SO2_NOX, 6.0, {"pm": 10, "so2": 35, "nox": 50}, (5.2, 9.5), 50.0),
    "biomass": Gas(
        "boiler", PM_SO2_NOX, 9.0, {"pm": 20, "so2": 50, "nox": 150}, (7.0, 12.0), 130.0
    ),
    "small_biomass": Gas(
        "boiler", PM_SO2_NOX, 9.0, {"pm": 30, "so2": 200, "nox": 200}, (9.0, 14.0), 150.0
    ),
    "gas_boiler": Gas("boiler", PM_SO2_NOX, 3.5, {"pm": 5, "so2": 10, "nox": 50}, (3.0, 7.0), 75.0),
    "brick": Gas(
        "kiln",
        PM_SO2_NOX,
        18.0,
        {"pm": 20, "so2": 150, "nox": 150, "nh3": 8},
        (16.3, 18.6),
        55,
        0.5,
    ),
    "glass": Gas(
        "kiln", PM_SO2_NOX, 8.0, {"pm": 20, "so2": 100, "nox": 200}, (7.5, 10.5), 140, 0.6
    ),
    "clinker": Gas(
        "kiln", PM_SO2_NOX, 10.0, {"pm": 10, "so2": 35, "nox": 100, "nh3": 8}, (9.0, 12.0), 110, 0.5
    ),
    "cupola": Gas(
        "process", PM_SO2_NOX, None, {"pm": 10, "so2": 100, "nox": 150}, (14.5, 18.0), 90, 0.7
    ),
    "dryer": Gas(
        "kiln",
        PM_SO2_NOX,
        None,
        {"pm": 10, "so2": 100, "nox": 150, "nh3": 8},
        (16.0, 18.5),
        65,
        0.6,
    ),
    "herb_dryer": Gas(
        "kiln", PM_SO2_NOX, None, {"pm": 80, "so2": 400, "nox": 300}, (15.0, 18.0), 70, 0.6
    ),
    "dust": Gas("process", ("pm",), None, {"pm": 20}, (20.6, 20.9), 25.0, 1.0),
    "voc": Gas("voc", ("voc",), None, {"voc": 60}, (20.4, 20.8), 30.0, 0.9),
}


@dataclass
class Stack:
    """A release point. `mn` is None without automatic monitoring. Flow in Nm3/h (standard,
    dry) at full load; `q_floor` is the share of it the fans keep at zero load."""

    outlet_id: str
    name: str
    source_kind: str  # boiler, kiln, process, voc
    mn: str | None
    ref_o2: float | None
    pollutants: tuple[str, ...]
    limits: dict[str, float]
    q_full: float
    q_floor: float
    o2_full: float
    o2_low: float
    temp_full: float
    height_m: float
    marks_stopped: bool = True  # the logger flags stopped hours F (else it keeps sending N)
    test_habit: str = "typical"  # typical, low_load, after_service


@dataclass
class Unit:
    enterprise_id: str
    unit_id: str
    ledger: str  # boiler, kiln, voc; '' for a dust point with no ledger row
    kind: str  # see physics.KINDS
    attrs: dict[str, Any]
    p: dict[str, Any]
    stack: Stack | None = None
    reports: str = "unit"  # activity booked per 'unit', or for the whole 'enterprise'


@dataclass
class Plant:
    enterprise_id: str
    name: str
    township: str
    industry_code: str
    key_industry: str
    grade: str
    permit_no: str
    longitude: float
    latitude: float
    in_park: bool
    capacity: float
    capacity_unit: str
    units: list[Unit] = field(default_factory=list)
    habits: set[str] = field(default_factory=set)  # constant_sulfur, lumpy_purchases


class Mix:
    """Builds the plants; ids, names and MNs are unique and deterministic."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"world-b-{seed}")
        self.names = list(TRADE_NAMES)
        self.rng.shuffle(self.names)
        self.plants: list[Plant] = []
        self.mns: set[str] = set()

    def plant(
        self,
        key: str,
        code: str,
        suffix: str,
        township: str,
        capacity: float,
        capacity_unit: str,
        grade: str | None = None,
    ) -> Plant:
        rng = self.rng
        uscc = make_uscc(rng)
        lon, lat = TOWNSHIPS[township]
        p = Plant(
            enterprise_id=uscc,
            name=f"孟州市{self.names[len(self.plants)]}{suffix}",
            township=township,
            industry_code=code,
            key_industry=key,
            grade=grade if grade is not None else rng.choice("ABBCCCD"),
            permit_no=f"{uscc}00{rng.randint(1, 9)}{rng.choice('VU')}",
            longitude=round(lon + rng.uniform(-0.02, 0.02), 6),
            latitude=round(lat + rng.uniform(-0.015, 0.015), 6),
            in_park=township == "化工镇",
            capacity=capacity,
            capacity_unit=capacity_unit,
        )
        self.plants.append(p)
        return p

    def mn(self) -> str:
        while True:
            mn = "4108831" + "".join(self.rng.choice("0123456789ABCDEF") for _ in range(17))
            if mn not in self.mns:
                self.mns.add(mn)
                return mn

    def unit(
        self,
        plant: Plant,
        prefix: str,
        ledger: str,
        kind: str,
        attrs: dict[str, Any],
        p: dict[str, Any],
        *,
        reports: str = "unit",
    ) -> Unit:
        k = sum(1 for u in plant.units if u.unit_id.startswith(prefix)) + 1
        u = Unit(plant.enterprise_id, f"{prefix}{k:02d}", ledger, kind, attrs, p, reports=reports)
        plant.units.append(u)
        return u

    def stack(
        self,
        plant: Plant,
        unit: Unit,
        name: str,
        gas: str,
        q_full: float,
        *,
        cems: bool,
        extra: tuple[str, ...] = (),
        **kw: Any,
    ) -> Stack:
        """The stack `unit` emits through, carrying `GAS[gas]` (plus `extra` pollutants)."""
        g = GAS[gas]
        pollutants = (*g.pollutants, *extra)
        n = sum(1 for u in plant.units if u.stack is not None) + 1
        s = Stack(
            outlet_id=f"DA{n:03d}",
            name=name,
            source_kind=g.source_kind,
            mn=self.mn() if cems else None,
            ref_o2=g.ref_o2,
            pollutants=pollutants,
            limits={k: v for k, v in g.limits.items() if k in pollutants},
            q_full=q_full,
            q_floor=kw.pop("q_floor", g.q_floor),
            o2_full=g.o2[0],
            o2_low=g.o2[1],
            temp_full=kw.pop("temp", g.temp),
            height_m=float(self.rng.choice((15, 20, 25, 30, 40, 45, 60, 80, 100))),
            **kw,
        )
        unit.stack = s
        return s
