"""The plant mix of the second world: 31 enterprises, one small builder per industry (`MIX`).

Each says what the plant is (ledger attributes), how it runs (`schedule` and its stops), what
its stack typically shows at full load with its controls as designed (`targets`, converted
mg/m3; the hour's conditions move it, see `physics.py`), and how its office reports
(`Plant.habits`, `Unit.reports`). Parameters are set by hand, not taken from the project's
generator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fallback.world.plants import Mix, Plant, Unit

SPRING = (7, 14)  # days closed before and after the Spring Festival


def boiler_row(fuel: str, cap: float, cems: bool, **kw: Any) -> dict[str, Any]:
    row = {
        "fuel": fuel,
        "capacity_t_h": cap,
        "status": "in_use",
        "commissioned_year": 2015,
        "low_nox_burner": fuel == "gas",
        "fgr_valve": "none",
        "co_firing": "none",
        "dedicated_burner": fuel == "biomass",
        "dust_control": "none",
        "desulfurization": "none",
        "denitrification": "low_nox_burner" if fuel == "gas" else "none",
        "auto_monitoring": cems,
        "monitoring_networked": cems,
    }
    return row | kw


def kiln_row(kiln_type: str, product: str, fuel: str, **kw: Any) -> dict[str, Any]:
    return {"kiln_type": kiln_type, "product": product, "fuel": fuel} | kw


# ----------------------------------------------------------------------------- heat and steam
def chp_coal(m: Mix) -> None:
    """Two 90 t/h coal boilers; the second runs for heating and a few summer weeks. Coal is
    booked for the whole plant, with each month's sulfur and ash; the plant turns a boiler down
    when the test team comes."""
    plant = m.plant("heat_power", "4412", "热电有限公司", "河阳街道", 2.4e6, "GJ", grade="B")
    for i, schedule in enumerate(("heat", "heat_standby")):
        row = boiler_row(
            "coal",
            90.0,
            True,
            commissioned_year=2014 + i,
            dust_control="bag_filter+wet_esp",
            desulfurization="wet_limestone",
            denitrification="sncr+scr",
        )
        p = {
            "schedule": schedule,
            "cap": 90.0,
            "sulfur": (0.85, 0.18),
            "ash": (22.0, 3.0),
            "overhaul": 5 + 3 * i,
            "targets": {"pm": 4.0, "so2": 24.0, "nox": 36.0},
        }
        u = m.unit(plant, "GL", "boiler", "coal_boiler", row, p, reports="enterprise")
        name = f"{i + 1}#90t/h燃煤锅炉烟气排放口"
        m.stack(plant, u, name, "coal_chp", 90 * 1250, cems=True, test_habit="low_load")


def chp_biomass(m: Mix) -> None:
    plant = m.plant("heat_power", "4417", "生物质热电有限公司", "谷旦镇", 9e5, "GJ", grade="B")
    row = boiler_row(
        "biomass",
        40.0,
        True,
        dust_control="bag_filter",
        desulfurization="semi_dry",
        denitrification="sncr",
    )
    p = {
        "schedule": "heat",
        "cap": 40.0,
        "sulfur": (0.12, 0.03),
        "ash": (5.5, 1.2),
        "desulf": True,
        "sncr": True,
        "maintenance": 2,
        "targets": {"pm": 6.0, "so2": 28.0, "nox": 110.0},
    }
    u = m.unit(plant, "GL", "boiler", "biomass_boiler", row, p)
    m.stack(plant, u, "40t/h生物质锅炉排放口", "biomass", 40 * 1500, cems=True)


def gas_boiler(m: Mix, plant: Plant, cap: float, schedule: str, cems: bool, **p: Any) -> None:
    fgr = "electric" if p.get("fgr_closed_months") else "none"
    row = boiler_row("gas", cap, cems, fgr_valve=fgr)
    params = {"schedule": schedule, "cap": cap, "targets": {"pm": 2.5, "so2": 4.0, "nox": 38.0}}
    params["targets"]["nox"] = p.pop("nox", 38.0)
    u = m.unit(plant, "GL", "boiler", "gas_boiler", row, params | p)
    m.stack(plant, u, f"{cap:g}t/h燃气锅炉排放口", "gas_boiler", cap * 900, cems=cems)


def gas_heating(m: Mix) -> None:
    """Two gas heating stations; the bigger one's operator closes its flue-gas recirculation
    valve in the coldest months to get more heat out."""
    for town, cap, fgr in (("大定街道", 29.0, (1, 12)), ("会昌街道", 20.0, ())):
        plant = m.plant("heat_power", "4430", "供热有限公司", town, 4e5, "GJ", grade="")
        gas_boiler(m, plant, cap, "heating_only", True, fgr_closed_months=fgr, maintenance=0)


def process_steam(m: Mix) -> None:
    plant = m.plant("chemicals", "2710", "生物制药有限公司", "河雍街道", 3e3, "t", grade="C")
    gas_boiler(m, plant, 10.0, "shift2", True, weeks_off=2, spring_festival=(5, 12), nox=55.0)
    plant = m.plant("leather", "1910", "皮业有限公司", "南庄镇", 60.0, "万张", grade="C")
    gas_boiler(m, plant, 6.0, "shift2", False, weeks_off=3, spring_festival=SPRING, nox=70.0)
    voc_line(m, plant, "coating", "皮革涂饰剂", 3.0, "water_spray", "enclosed", "shift2",
             voc_pct=35.0, thinner=0.0, carbon_fraction=0.7)  # fmt: skip


# ----------------------------------------------------------------------------- kilns
BRICK_DESULF = ("wet_limestone", "simple_alkali", "dust_desulf_integrated", "simple_alkali",
                "wet_limestone")  # fmt: skip


def brick_works(m: Mix) -> None:
    """Five brick works, six tunnel kilns: wet limestone, simple alkali (not always dosed) or an
    integrated dust-desulfurization tower; SNCR on two; staggered production for grades C and
    D; a rain stop in summer; gangue sulfur changing with every batch. The fifth has two kilns
    and books its gangue and bricks for the whole works; the third reports one sulfur content
    all year; the fourth has no CEMS."""
    towns = ("槐树乡", "西虢镇", "城伯镇", "赵和镇", "谷旦镇")
    grades = ("B", "C", "D", "A", "C")
    for i, tech in enumerate(BRICK_DESULF):
        kilns = 2 if i == 4 else 1
        cap = m.rng.choice((6000.0, 8000.0, 10000.0, 12000.0))
        plant = m.plant("bricks", "3031", "新型墙材有限公司", towns[i], cap * kilns, "万块标砖",
                        grade=grades[i])  # fmt: skip
        if i == 2:
            plant.habits.add("constant_sulfur")
        for k in range(kilns):
            sncr = i in (1, 4) and k == 0
            row = kiln_row(
                "tunnel_kiln",
                "烧结砖",
                "coal_gangue_internal",
                capacity=cap,
                capacity_unit="万块/年",
                dust_control="water_film" if tech == "dust_desulf_integrated" else "wet_esp",
                desulfurization=tech,
                denitrification="sncr" if sncr else "none",
                uses_ammonia=sncr,
                ammonia_slip_monitoring=sncr,
            )
            targets = {
                "pm": 9.0,
                "so2": 55.0 if tech == "wet_limestone" else 110.0,
                "nox": 70.0 if sncr else 110.0,
                "nh3": 3.0,
            }
            p = {
                "schedule": "continuous",
                "capacity": cap,
                "sulfur": (m.rng.uniform(1.1, 1.6), 0.3),
                "ash": (40.0, 4.0),
                "spring_festival": (10, 18),
                "staggered": grades[i] in ("C", "D"),
                "rain_stop": 18,
                "ramp_hours": 48,
                "dust_eta": 0.6 if tech == "dust_desulf_integrated" else 0.95,
                "targets": targets,
            }
            reports = "enterprise" if kilns == 2 else "unit"
            u = m.unit(plant, "YL", "kiln", "brick_kiln", row, p, reports=reports)
            habit = "after_service" if i % 2 == 0 else "typical"
            m.stack(plant, u, f"{k + 1}#隧道窑焙烧烟气排放口", "brick", cap / 10000 * 70000,
                    cems=i != 3, extra=("nh3",) if sncr else (), test_habit=habit)  # fmt: skip
            # the brick dryer runs on the kiln's waste heat: a ledger row, no stack
            row = kiln_row("dryer", "砖坯干燥", "kiln_waste_heat", dust_control="shared",
                           desulfurization="shared", denitrification="shared")  # fmt: skip
            m.unit(plant, "YL", "kiln", "ledger_only", row, {"schedule": "continuous"})
        p = {"schedule": "shift2", "product_t_h": 40.0, "targets": {"pm": 15.0}}
        crusher = m.unit(plant, "PS", "", "dust_point", {}, p)
        m.stack(plant, crusher, "原料破碎废气排放口", "dust", 20000, cems=False)


def glass(m: Mix) -> None:
    """A container-glass furnace fired with producer gas from a coal gas generator (the generator
    has no stack: its coal's sulfur leaves through the furnace, after the gas cleaning), and a
    natural-gas furnace whose SO2 is all batch sulfate. Glass furnaces never stop."""
    for producer_gas, town in ((True, "赵和镇"), (False, "西虢镇")):
        cap = m.rng.choice((60000.0, 80000.0, 100000.0))
        plant = m.plant("glass", "3055", "玻璃制品有限公司", town, cap, "t", grade="B")
        if producer_gas:
            row = kiln_row("gas_generator", "发生炉煤气", "coal", capacity=3.0,
                           capacity_unit="m(炉径)", dust_control="electric_tar_catcher",
                           desulfurization="wet_pds")  # fmt: skip
            p = {"schedule": "continuous", "furnace": "YL02"}
            m.unit(plant, "YL", "kiln", "producer_gas_generator", row, p)
        row = kiln_row(
            "glass_furnace",
            "玻璃瓶罐",
            "producer_gas" if producer_gas else "natural_gas",
            capacity=cap,
            capacity_unit="t/年",
            dust_control="bag_filter",
            desulfurization="semi_dry",
            denitrification="scr",
            uses_ammonia=True,
            ammonia_slip_monitoring=False,
        )
        p = {
            "schedule": "continuous",
            "capacity": cap,
            "producer_gas": producer_gas,
            "sulfur": (0.8, 0.12),
            "ash": (14.0, 2.0),
            "maintenance": 0,
            "targets": {"pm": 10.0, "so2": 80.0 if producer_gas else 60.0, "nox": 160.0},
        }
        u = m.unit(plant, "YL", "kiln", "glass_furnace", row, p)
        m.stack(plant, u, "玻璃熔窑烟气排放口", "glass", cap / 8760 / 0.95 * 2600, cems=True)


def clinker(m: Mix) -> None:
    """A clinker kiln with no desulfurizer (the raw meal absorbs most of the sulfur), SNCR, and
    staggered production through the heating season."""
    plant = m.plant("cement", "3011", "水泥有限公司", "槐树乡", 1.3e6, "t熟料", grade="C")
    row = kiln_row("rotary_kiln", "水泥熟料", "coal", capacity=1.3e6, capacity_unit="t/年",
                   dust_control="bag_filter", desulfurization="none", denitrification="sncr",
                   uses_ammonia=True, ammonia_slip_monitoring=True)  # fmt: skip
    p = {
        "schedule": "continuous",
        "capacity": 1.3e6,
        "sulfur": (1.2, 0.2),
        "ash": (24.0, 3.0),
        "staggered": True,
        "ramp_hours": 72,
        "targets": {"pm": 6.0, "so2": 20.0, "nox": 85.0, "nh3": 4.0},
    }
    u = m.unit(plant, "YL", "kiln", "clinker_kiln", row, p)
    m.stack(plant, u, "窑尾烟气排放口", "clinker", 1.3e6 / 7200 * 2300, cems=True, extra=("nh3",))


def foundries(m: Mix) -> None:
    """A cupola melting three days a week on coke (its logger keeps sending N while the cupola is
    cold), and an electric foundry with a painting line."""
    plant = m.plant("casting", "3391", "铸造有限公司", "城伯镇", 2e4, "t", grade="C")
    row = kiln_row("cupola", "铸件", "coke", dust_control="cyclone+bag_filter",
                   desulfurization="simple_alkali")  # fmt: skip
    p = {
        "schedule": "melt",
        "melt_t_h": 6.0,
        "sulfur": (0.75, 0.08),
        "ash": (12.0, 1.0),
        "weeks_off": 2,
        "spring_festival": SPRING,
        "targets": {"pm": 8.0, "so2": 60.0, "nox": 25.0},
    }
    u = m.unit(plant, "YL", "kiln", "cupola", row, p)
    m.stack(plant, u, "冲天炉熔炼废气排放口", "cupola", 30000, cems=True, marks_stopped=False)
    plant = m.plant("casting", "3392", "精密铸造有限公司", "西虢镇", 8e3, "t", grade="B")
    row = kiln_row("other", "铸件", "electric", dust_control="bag_filter")
    p = {"schedule": "shift2", "product_t_h": 2.5, "product": "铸件", "spring_festival": SPRING,
         "targets": {"pm": 8.0}}  # fmt: skip
    u = m.unit(plant, "YL", "kiln", "dust_point", row, p)
    m.stack(plant, u, "中频炉熔炼废气排放口", "dust", 25000, cems=False, q_floor=0.8)
    voc_line(m, plant, "coating", "溶剂型漆", 1.2, "activated_carbon", "local_hood", "day",
             carbon_days=(120, 240))  # fmt: skip


def dryers(m: Mix) -> None:
    """A compound-fertilizer dryer (spring and autumn seasons; its NH3 follows the month's urea
    share), two coal-fired herb dryers and a small biomass boiler drying herbs."""
    plant = m.plant("fertilizer", "2624", "肥业有限公司", "化工镇", 1.5e5, "t", grade="B")
    row = kiln_row("dryer", "复合肥", "coal", dust_control="cyclone+bag_filter",
                   desulfurization="simple_ammonia", uses_ammonia=True,
                   ammonia_slip_monitoring=True)  # fmt: skip
    p = {
        "schedule": "seasonal",
        "months": (0.5, 0.9, 1.0, 0.9, 0.5, 0.0, 0.0, 0.8, 1.0, 0.9, 0.6, 0.3),
        "product_t_h": 30.0,
        "product": "复合肥",
        "coal_per_t": 0.025,
        "sulfur": (1.2, 0.15),
        "desulf_eta": 0.6,
        "bags": True,
        "targets": {"pm": 9.0, "so2": 40.0, "nox": 30.0, "nh3": 6.0},
    }
    u = m.unit(plant, "HG", "kiln", "dryer", row, p)
    m.stack(plant, u, "烘干造粒尾气排放口", "dryer", 60000, cems=True, extra=("nh3",))
    for town, herb in (("西虢镇", "地黄"), ("谷旦镇", "山药")):
        plant = m.plant("herb_drying", "2730", "中药材加工有限公司", town, 2000.0, "t", grade="")
        row = kiln_row("dryer", herb, "coal", dust_control="cyclone")
        p = {"schedule": "harvest", "product_t_h": 0.8, "product": f"{herb}(干品)",
             "coal_per_t": 0.7, "sulfur": (1.5, 0.2),
             "targets": {"pm": 60.0, "so2": 300.0, "nox": 120.0}}  # fmt: skip
        u = m.unit(plant, "HG", "kiln", "dryer", row, p)
        m.stack(plant, u, "烘干热风炉排放口", "herb_dryer", 9000, cems=False)
    plant = m.plant("herb_drying", "2730", "中药饮片有限公司", "赵和镇", 1500.0, "t", grade="")
    row = boiler_row("biomass", 2.0, False, dust_control="cyclone")
    p = {"schedule": "harvest", "cap": 2.0, "sulfur": (0.1, 0.02), "ash": (6.0, 1.0),
         "targets": {"pm": 30.0, "so2": 30.0, "nox": 150.0}}  # fmt: skip
    u = m.unit(plant, "GL", "boiler", "biomass_boiler", row, p)
    m.stack(plant, u, "2t/h生物质锅炉排放口", "small_biomass", 3000, cems=False)


# ----------------------------------------------------------------------------- VOC
CAPTURE = {"sealed_negative_pressure": 0.92, "enclosed": 0.7, "local_hood": 0.35, "open": 0.0}
PROCESS_NAME = {
    "printing": "印刷",
    "coating": "喷涂",
    "chemical": "工艺废气",
    "storage": "储罐呼吸",
}


def voc_line(
    m: Mix,
    plant: Plant,
    process: str,
    material: str,
    use_t_month: float,
    tech: str,
    capture: str,
    schedule: str,
    *,
    cems: bool = False,
    voc_pct: float = 60.0,
    thinner: float = 0.3,
    carbon_fraction: float = 0.85,
    q_full: float = 25000,
    **extra: Any,
) -> Unit:
    """A coating, printing or chemical line: its solvent (and thinner) use, capture and
    treatment. A chemical line uses VOC raw materials and loses `loss` of them to the air;
    `carbon_fraction` is the carbon share of its VOC (NMHC is measured as carbon)."""
    item = ("raw_material" if process == "chemical" else "solvent", material, "t")
    materials = [(item, 1 - thinner, voc_pct)]
    if thinner:
        materials.append((("solvent", "稀释剂", "t"), thinner, 100.0))
    chemical = process == "chemical"
    row = {
        "process": process,
        "material": material,
        "low_voc_substituted": voc_pct < 20,
        "seal_points": 1500 if chemical else None,
        "ldar_done": True if chemical else None,
        "capture_type": capture,
        "treatment_tech": tech,
        "carbon_last_replaced": None,
        "carbon_interval_days": 90 if tech == "activated_carbon" else None,
        "combustion_temp_records_months": 12 if tech in ("rto", "rco") else None,
        "bypass": "none",
    }
    p = {
        "schedule": schedule,
        "use_t_month": use_t_month,
        "full_hours_month": {"day": 190.0, "shift2": 400.0}.get(schedule, 720.0),
        "materials": materials,
        "loss": 1.0,
        "capture": CAPTURE[capture],
        "carbon_fraction": carbon_fraction,
        "carbon_days": (60, 150),
        "weeks_off": 1,
        "spring_festival": SPRING,
    } | extra
    u = m.unit(plant, "SC", "voc", "voc_process", row, p)
    habit = "after_service" if tech == "activated_carbon" else "typical"
    temp = 120.0 if tech in ("rto", "rco") else 30.0
    name = f"{PROCESS_NAME[process]}VOCs排放口"
    m.stack(plant, u, name, "voc", q_full, cems=cems, temp=temp, test_habit=habit)
    return u


def chemicals(m: Mix) -> None:
    """Batch chemistry with an RTO (bypassed a week for repairs) and a continuous process on
    activated carbon, both with NMHC CEMS; an RCO line, and tank breathing nobody buys solvent
    for."""
    plant = m.plant("chemicals", "2614", "精细化工有限公司", "化工镇", 3e4, "t", grade="B")
    voc_line(m, plant, "chemical", "甲苯", 45.0, "rto", "sealed_negative_pressure", "batch",
             cems=True, voc_pct=100.0, thinner=0.0, loss=0.03, carbon_fraction=0.91,
             bypass_days=7, q_full=18000)  # fmt: skip
    plant = m.plant("chemicals", "2661", "化学制品有限公司", "化工镇", 2e4, "t", grade="C")
    voc_line(m, plant, "chemical", "乙酸乙酯", 30.0, "activated_carbon", "sealed_negative_pressure",
             "continuous", cems=True, voc_pct=100.0, thinner=0.0, loss=0.02,
             carbon_fraction=0.55, q_full=15000)  # fmt: skip
    plant = m.plant("chemicals", "2669", "新材料有限公司", "化工镇", 1.5e4, "t", grade="B")
    voc_line(m, plant, "chemical", "二甲苯", 25.0, "rco", "sealed_negative_pressure",
             "continuous", voc_pct=100.0, thinner=0.0, loss=0.025, carbon_fraction=0.9)  # fmt: skip
    voc_line(m, plant, "storage", "二甲苯", 0.0, "none", "enclosed", "continuous", thinner=0.0,
             materials=[], breathing=0.3, q_full=3000)  # fmt: skip


def printers(m: Mix) -> None:
    """Gravure printing on solvent ink with an RCO and NMHC CEMS; a small printer on activated
    carbon replaced once or twice a year; a water-based printer. The first two write ink when
    they buy it."""
    plant = m.plant(
        "printing", "2319", "包装印务有限公司", "河阳街道", 2000.0, "万平方米", grade="B"
    )
    plant.habits.add("lumpy_purchases")
    voc_line(m, plant, "printing", "溶剂型油墨", 14.0, "rco", "enclosed", "day", cems=True,
             carbon_fraction=0.55, weeks_off=3, q_full=30000)  # fmt: skip
    plant = m.plant("printing", "2319", "彩印有限公司", "会昌街道", 800.0, "万平方米", grade="C")
    plant.habits.add("lumpy_purchases")
    voc_line(m, plant, "printing", "溶剂型油墨", 5.0, "activated_carbon", "local_hood", "day",
             carbon_fraction=0.55, carbon_days=(150, 300))  # fmt: skip
    plant = m.plant("printing", "2231", "纸制品有限公司", "河雍街道", 600.0, "万平方米", grade="B")
    voc_line(m, plant, "printing", "水性油墨", 6.0, "activated_carbon", "enclosed", "day",
             voc_pct=8.0, thinner=0.0, carbon_fraction=0.6)  # fmt: skip


def coaters(m: Mix) -> None:
    """Furniture painting behind UV photolysis or a water spray (next to no removal), buying
    paint every few months; car repair booths on activated carbon changed about once a year."""
    for town, tech, paint in (
        ("城伯镇", "uv_photolysis", "PU漆"),
        ("南庄镇", "water_spray", "NC漆"),
    ):
        plant = m.plant("furniture", "2110", "家具有限公司", town, 3e4, "件", grade="C")
        plant.habits.add("lumpy_purchases")
        voc_line(
            m, plant, "coating", paint, 2.5, tech, "enclosed", "day", voc_pct=55.0, weeks_off=4
        )
    for town in ("大定街道", "河雍街道"):
        plant = m.plant(
            "car_repair", "8111", "汽车维修服务有限公司", town, 4000.0, "台次", grade=""
        )
        voc_line(m, plant, "coating", "溶剂型漆", 0.4, "activated_carbon", "enclosed", "day",
                 carbon_days=(200, 360), weeks_off=0)  # fmt: skip


def sand_gravel(m: Mix) -> None:
    """Crushing and loading dust; output booked for the whole yard."""
    plant = m.plant("sand_gravel", "1019", "砂石料有限公司", "槐树乡", 6e5, "t", grade="")
    for i, name in enumerate(("破碎筛分废气排放口", "上料口除尘排放口")):
        p = {"schedule": "shift2", "product_t_h": 120.0, "targets": {"pm": 15.0}, "weeks_off": 3,
             "spring_festival": (10, 20)}  # fmt: skip
        if i == 0:
            p["product"] = "砂石骨料"
        u = m.unit(plant, "PS", "", "dust_point", {}, p, reports="enterprise")
        m.stack(plant, u, name, "dust", 30000, cems=False)


MIX: tuple[Callable[[Mix], None], ...] = (
    chp_coal,
    chp_biomass,
    gas_heating,
    process_steam,
    brick_works,
    glass,
    clinker,
    foundries,
    dryers,
    chemicals,
    printers,
    coaters,
    sand_gravel,
)


def build_plants(seed: int) -> list[Plant]:
    m = Mix(seed)
    for make in MIX:
        make(m)
    return m.plants
