"""World B's plant kinds: who emits what, on which schedule, with which analysers.

Made apart from the county generator (world A): other plant kinds (cement kiln tails, glass
furnaces, VOC outlets near ambient O2 after RTO or activated carbon, dust outlets), other
schedules (load cycling between set points, heating-season demand, weekday shifts with daily
start-ups, spray batches) and other analysers (reporting resolution of 0.1, 0.01 or 0.001 mg/m3;
whole-hour span calibrations, short minute calibrations, weekly or none)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gas:
    code: str
    limit: float  # hourly limit, mg/m3 (converted basis where the kind has a reference O2)
    span: float  # analyser full scale
    dl: float  # detection limit
    base: tuple[float, float]  # typical level / limit, drawn per outlet
    load_exp: float  # level ∝ (load / 0.8) ** load_exp
    hour_sigma: tuple[float, float]  # hour-scale log noise (AR), drawn per outlet
    decimals: tuple[int, ...] = (1, 2, 3)  # reporting resolution, drawn per outlet


@dataclass(frozen=True)
class PlantKind:
    name: str
    source_kind: str  # registry source_kind
    key_industry: str
    fuel: str | None
    reference_o2: float | None
    schedule: str  # cycling, heating, kiln, furnace, two_shift, day_shift, batches
    design_flow: tuple[float, float]  # m3/s at full load
    o2_full: float  # O2 at full load, %
    o2_low: float  # O2 at 30 % load, %
    temp_full: float  # stack temperature at full load, °C
    startup_hours: tuple[int, int]  # ramp from a cold start to load
    startup_o2_excess: float  # extra O2 at the first start-up hour, points
    calibrations: tuple[str, ...]  # styles drawn per outlet: hour, minutes, weekly, none
    gases: tuple[Gas, ...]
    outlet_name: str


PM_LOW = (0.25, 0.55)
KINDS: dict[str, PlantKind] = {
    "coal_boiler": PlantKind(
        "coal_boiler",
        "boiler",
        "heat_power",
        "coal",
        9.0,
        "cycling",
        (25, 70),
        5.5,
        11.0,
        125,
        (3, 6),
        4.0,
        ("hour", "minutes"),
        (
            Gas("a34013", 10, 50, 1, PM_LOW, 0.6, (0.08, 0.16)),
            Gas("a21026", 35, 100, 3, (0.3, 0.6), 0.2, (0.10, 0.18)),
            Gas("a21002", 50, 200, 3, (0.4, 0.7), 1.0, (0.06, 0.12)),
        ),
        "燃煤锅炉排放口",
    ),
    "gas_boiler": PlantKind(
        "gas_boiler",
        "boiler",
        "chemicals",
        "natural_gas",
        3.5,
        "two_shift",
        (4, 14),
        2.8,
        8.0,
        85,
        (1, 2),
        3.0,
        ("minutes", "weekly", "none"),
        (
            Gas("a34013", 5, 20, 1, (0.2, 0.45), 0.3, (0.10, 0.20), (2, 3)),
            Gas("a21026", 10, 50, 3, (0.3, 0.55), 0.0, (0.08, 0.15), (2, 3)),
            Gas("a21002", 30, 100, 3, (0.45, 0.75), 1.2, (0.05, 0.10)),
        ),
        "燃气锅炉排放口",
    ),
    "biomass_boiler": PlantKind(
        "biomass_boiler",
        "boiler",
        "heat_power",
        "biomass",
        9.0,
        "heating",
        (6, 20),
        6.5,
        12.5,
        150,
        (2, 5),
        4.0,
        ("minutes", "hour"),
        (
            Gas("a34013", 10, 50, 1, PM_LOW, 0.8, (0.10, 0.20)),
            Gas("a21026", 35, 100, 3, (0.2, 0.45), 0.3, (0.10, 0.20)),
            Gas("a21002", 150, 500, 3, (0.4, 0.65), 0.8, (0.06, 0.12)),
        ),
        "生物质锅炉排放口",
    ),
    "brick_kiln": PlantKind(
        "brick_kiln",
        "kiln",
        "bricks",
        "coal_gangue",
        18.0,
        "kiln",
        (18, 45),
        16.2,
        18.6,
        105,
        (6, 12),
        1.5,
        ("hour", "minutes"),
        (
            Gas("a34013", 10, 50, 1, PM_LOW, 0.5, (0.08, 0.15)),
            Gas("a21026", 35, 100, 3, (0.3, 0.6), 0.3, (0.10, 0.20)),
            Gas("a21002", 100, 300, 3, (0.35, 0.65), 0.8, (0.06, 0.12)),
            Gas("a21001", 8, 20, 0.25, (0.2, 0.5), 0.2, (0.15, 0.25)),
        ),
        "隧道窑焙烧烟气排放口",
    ),
    "cement_kiln": PlantKind(
        "cement_kiln",
        "kiln",
        "cement",
        "coal",
        10.0,
        "kiln",
        (80, 160),
        8.0,
        12.0,
        115,
        (8, 14),
        3.0,
        ("hour", "minutes"),
        (
            Gas("a34013", 10, 50, 1, PM_LOW, 0.5, (0.08, 0.15)),
            Gas("a21026", 35, 200, 3, (0.15, 0.4), 0.2, (0.15, 0.25)),
            Gas("a21002", 100, 500, 3, (0.45, 0.75), 0.9, (0.05, 0.10)),
            Gas("a21001", 8, 20, 0.25, (0.25, 0.5), 0.2, (0.12, 0.22)),
        ),
        "窑尾烟气排放口",
    ),
    "glass_furnace": PlantKind(
        "glass_furnace",
        "kiln",
        "glass",
        "natural_gas",
        8.0,
        "furnace",
        (15, 35),
        7.0,
        10.5,
        160,
        (10, 16),
        2.0,
        ("hour", "minutes"),
        (
            Gas("a34013", 20, 100, 1, PM_LOW, 0.4, (0.08, 0.14)),
            Gas("a21026", 100, 500, 3, (0.3, 0.6), 0.2, (0.06, 0.12)),
            Gas("a21002", 200, 1000, 3, (0.4, 0.7), 0.7, (0.05, 0.10)),
        ),
        "玻璃熔窑烟气排放口",
    ),
    "voc_rto": PlantKind(
        "voc_rto",
        "voc",
        "chemicals",
        None,
        None,
        "cycling",
        (5, 15),
        19.6,
        20.4,
        60,
        (1, 2),
        0.0,
        ("weekly", "none", "minutes"),
        (Gas("a24088", 60, 200, 0.07, (0.15, 0.45), 0.6, (0.12, 0.25)),),
        "工艺废气VOCs排放口",
    ),
    "voc_carbon": PlantKind(
        "voc_carbon",
        "voc",
        "furniture",
        None,
        None,
        "batches",
        (3, 9),
        20.3,
        20.7,
        28,
        (0, 1),
        0.0,
        ("none", "weekly"),
        (Gas("a24088", 80, 200, 0.07, (0.15, 0.4), 0.9, (0.15, 0.30)),),
        "喷涂VOCs排放口",
    ),
    "dust": PlantKind(
        "dust",
        "process",
        "sand_gravel",
        None,
        None,
        "day_shift",
        (3, 10),
        20.5,
        20.8,
        22,
        (0, 1),
        0.0,
        ("none",),
        (Gas("a34013", 10, 50, 1, (0.2, 0.5), 0.7, (0.15, 0.30), (1, 2)),),
        "破碎筛分废气排放口",
    ),
}

# outlets per kind in one world-B county (28 outlets)
COUNTY = (
    ("coal_boiler", 4),
    ("gas_boiler", 4),
    ("biomass_boiler", 2),
    ("brick_kiln", 4),
    ("cement_kiln", 2),
    ("glass_furnace", 2),
    ("voc_rto", 4),
    ("voc_carbon", 3),
    ("dust", 3),
)
