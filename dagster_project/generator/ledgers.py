"""Registry and ledger feeds: registry/, boilers/, kilns/, voc/, activity/, transport/,
manual_tests/. Rows come from the county (and, for the covered months, from the physical truth
so activity, tests and CEMS agree)."""

from __future__ import annotations

import calendar
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from dagster_project.feeds import contracts as fc
from dagster_project.generator.county import (
    POLLUTANT_CODES,
    TOWNSHIP_SLUGS,
    County,
    Enterprise,
    Outlet,
)
from dagster_project.generator.physics import Truth
from dagster_project.generator.tables import CANONICAL, Style, write_csv, write_xlsx

GBK_CN = Style()
BOM_CN = Style(alias_index=1, date_fmt="%Y/%m/%d", datetime_fmt="%Y/%m/%d %H:%M")
UTF8_CN_YN = Style(bools=("Y", "N"))


def _cols(spec: fc.FeedSpec, *extra: str) -> list[str]:
    return [c.name for c in spec.columns] + list(extra)


def _by_township(items: list[tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for town, row in items:
        out[town].append(row)
    return dict(sorted(out.items(), key=lambda kv: TOWNSHIP_SLUGS[kv[0]]))


# --------------------------------------------------------------------------- registry
def write_registry(out: Path, county: County) -> dict[str, int]:
    files: dict[str, int] = {}
    ents = [
        {
            "enterprise_id": e.enterprise_id,
            "name": e.name,
            "township": e.township,
            "industry_code": e.industry_code,
            "key_industry": e.key_industry,
            "performance_grade": e.performance_grade,
            "permit_no": e.permit_no,
            "longitude": e.longitude,
            "latitude": e.latitude,
            "in_park": e.in_park,
            "eia_capacity": e.eia_capacity,
            "permit_capacity": e.permit_capacity,
            "prior_year_output": e.prior_year_output,
            "capacity_unit": e.capacity_unit,
        }
        for e in county.enterprises
    ]
    spec = fc.REGISTRY_ENTERPRISES
    files["registry/enterprises.csv"] = write_csv(
        out / "registry/enterprises.csv", spec, ents, _cols(spec), CANONICAL, "utf-8"
    )
    outs = [
        {
            "enterprise_id": o.enterprise_id,
            "outlet_id": o.outlet_id,
            "mn": o.mn,
            "outlet_name": o.outlet_name,
            "source_kind": o.source_kind,
            "unit_id": o.unit_id,
            "reference_o2": o.reference_o2,
            "networked": o.networked,
            "stack_height_m": o.stack_height_m,
        }
        for o in county.outlets
    ]
    spec = fc.REGISTRY_OUTLETS
    files["registry/outlets.csv"] = write_csv(
        out / "registry/outlets.csv", spec, outs, _cols(spec), CANONICAL, "utf-8"
    )
    lims = [
        {
            "mn": o.mn,
            "pollutant_code": POLLUTANT_CODES[p],
            "limit_mg_m3": float(o.limits[p]),
            "analyzer_range": o.analyzer_range[p],
            "detection_limit": o.detection_limit[p],
        }
        for o in county.monitored_outlets
        for p in o.pollutants
    ]
    spec = fc.REGISTRY_OUTLET_LIMITS
    files["registry/outlet_limits.csv"] = write_csv(
        out / "registry/outlet_limits.csv", spec, lims, _cols(spec), CANONICAL, "utf-8"
    )
    return files


# --------------------------------------------------------------------------- boilers, kilns, voc
def write_unit_ledgers(out: Path, county: County) -> dict[str, int]:
    files: dict[str, int] = {}
    ent_of = {e.enterprise_id: e for e in county.enterprises}

    def rows(kind: str) -> list[tuple[str, dict[str, Any]]]:
        res = []
        for u in county.units:
            if u.kind == kind:
                e = ent_of[u.enterprise_id]
                res.append(
                    (
                        e.township,
                        {
                            "enterprise_id": u.enterprise_id,
                            "unit_id": u.unit_id,
                            "企业名称": e.name,
                            **u.attrs,
                        },
                    )
                )
        return res

    # boilers: GBK CSV per township; 化工镇 sends xlsx
    spec = fc.BOILERS
    for town, rs in _by_township(rows("boiler")).items():
        slug = TOWNSHIP_SLUGS[town]
        if town == "化工镇":
            rel = f"boilers/boilers_{slug}.xlsx"
            files[rel] = write_xlsx(
                out / rel,
                spec,
                {"锅炉台账": rs},
                _cols(spec, "企业名称"),
                GBK_CN.with_headers(unit_id="锅炉编号"),
            )
        else:
            rel = f"boilers/boilers_{slug}.csv"
            files[rel] = write_csv(
                out / rel,
                spec,
                rs,
                _cols(spec, "企业名称"),
                GBK_CN.with_headers(unit_id="锅炉编号"),
                "gbk",
            )
    # kilns: xlsx per township; 槐树乡 sends a GBK CSV with slash dates
    spec = fc.KILNS
    for town, rs in _by_township(rows("kiln")).items():
        slug = TOWNSHIP_SLUGS[town]
        if town == "槐树乡":
            rel = f"kilns/kilns_{slug}.csv"
            files[rel] = write_csv(
                out / rel,
                spec,
                rs,
                _cols(spec, "企业名称"),
                Style(date_fmt="%Y/%m/%d").with_headers(unit_id="窑炉编号"),
                "gbk",
            )
        else:
            rel = f"kilns/kilns_{slug}.xlsx"
            files[rel] = write_xlsx(
                out / rel,
                spec,
                {"工业炉窑台账": rs},
                _cols(spec, "企业名称"),
                GBK_CN.with_headers(unit_id="窑炉编号"),
            )
    # VOC: UTF-8 with BOM per township; the first chemical enterprise sends its own xlsx
    spec = fc.VOC_SOURCES
    voc = rows("voc")
    chem = next((e for e in county.enterprises if e.template == "chemicals"), None)
    own = [r for t, r in voc if chem is not None and r["enterprise_id"] == chem.enterprise_id]
    rest = [(t, r) for t, r in voc if chem is None or r["enterprise_id"] != chem.enterprise_id]
    for town, rs in _by_township(rest).items():
        rel = f"voc/voc_{TOWNSHIP_SLUGS[town]}.csv"
        files[rel] = write_csv(
            out / rel,
            spec,
            rs,
            _cols(spec, "企业名称"),
            BOM_CN.with_headers(unit_id="生产线编号"),
            "utf-8-sig",
        )
    if own and chem is not None:
        rel = f"voc/voc_{chem.enterprise_id}.xlsx"
        files[rel] = write_xlsx(
            out / rel,
            spec,
            {"VOCs治理台账": own},
            _cols(spec),
            UTF8_CN_YN.with_headers(unit_id="生产线编号"),
        )
    return files


# --------------------------------------------------------------------------- activity
def _months(start: date, days: int) -> list[str]:
    last = start + timedelta(days=days - 1)
    months = []
    y, m = 2023, 1
    end = max((2023, 12), (last.year, last.month))
    while (y, m) <= end:
        months.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _season(period: str, kind: str) -> float:
    m = int(period[5:])
    if kind == "heat":
        return {
            1: 1.0,
            2: 0.95,
            3: 0.7,
            4: 0.4,
            5: 0.35,
            6: 0.35,
            7: 0.35,
            8: 0.35,
            9: 0.4,
            10: 0.45,
            11: 0.7,
            12: 1.0,
        }[m]
    if kind == "heating_only":
        return {1: 1.0, 2: 0.95, 3: 0.45, 11: 0.5, 12: 1.0}.get(m, 0.0)
    if kind == "herb":
        return {1: 0.6, 2: 0.2, 10: 0.8, 11: 1.0, 12: 0.9}.get(m, 0.1)
    if kind == "staggered":
        return {1: 0.0, 2: 0.0, 3: 0.5, 11: 0.5, 12: 0.0}.get(m, 1.0)
    return 1.0 if m != 2 else 0.75  # Spring Festival


def _utilisation(o: Outlet | None, period: str, truth: Truth, default: float) -> float:
    """Mean load × running share over the simulated hours of that month, when simulated."""
    if o is None or o.mn is None or o.mn not in truth.outlets:
        return default
    h = truth.outlets[o.mn].hourly.filter(pl.col("time").dt.strftime("%Y-%m") == period)
    if h.height == 0:
        return default
    y, m = int(period[:4]), int(period[5:])
    covered = h.height / (calendar.monthrange(y, m)[1] * 24)
    sim = float(h["load_frac"].mean() or 0.0)  # stopped hours count as zero load
    return sim * covered + default * (1 - covered)


def activity_rows(
    county: County, truth: Truth, seed: int
) -> list[tuple[Enterprise, dict[str, Any]]]:
    rng = random.Random(seed * 101 + 3)
    months = _months(truth.start, truth.days)
    out: list[tuple[Enterprise, dict[str, Any]]] = []

    def add(
        e: Enterprise,
        unit: str | None,
        period: str,
        cat: str,
        item: str,
        q: float,
        unit_name: str,
        s: float | None = None,
        ash: float | None = None,
        voc: float | None = None,
    ) -> None:
        out.append(
            (
                e,
                {
                    "enterprise_id": e.enterprise_id,
                    "unit_id": unit,
                    "period": period,
                    "category": cat,
                    "item": item,
                    "quantity": round(q, 2),
                    "unit": unit_name,
                    "sulfur_pct": s,
                    "ash_pct": ash,
                    "voc_content_pct": voc,
                },
            )
        )

    for e in county.enterprises:
        outlet_of = {o.unit_id: o for o in e.outlets if o.unit_id}
        coal_s = round(rng.uniform(0.35, 0.9), 2)
        coal_ash = round(rng.uniform(12, 24), 1)
        for period in months:
            y, m = int(period[:4]), int(period[5:])
            hours = calendar.monthrange(y, m)[1] * 24
            jitter = rng.uniform(0.93, 1.07)
            for u in e.units:
                o = outlet_of.get(u.unit_id)
                if u.kind == "boiler":
                    a = u.attrs
                    if a["status"] != "in_use":
                        continue
                    prof = o.profile if o else "two_shift"
                    season = _season(
                        period,
                        "heating_only"
                        if prof == "heating_only"
                        else "heat"
                        if prof == "heat_demand"
                        else "herb"
                        if e.template == "herb_drying"
                        else "flat",
                    )
                    base = (
                        0.75
                        * season
                        * (16 / 24 * 6 / 7 if prof in ("two_shift", "day_shift") else 1.0)
                    )
                    util = _utilisation(o, period, truth, base)
                    steam = a["capacity_t_h"] * hours * util * jitter
                    if a["fuel"] == "coal":
                        add(
                            e,
                            u.unit_id,
                            period,
                            "fuel",
                            "原煤",
                            steam * 0.15,
                            "t",
                            coal_s,
                            coal_ash,
                        )
                    elif a["fuel"] == "gas":
                        add(e, u.unit_id, period, "fuel", "天然气", steam * 75 / 1e4, "万立方米")
                    elif a["fuel"] == "biomass":
                        add(
                            e,
                            u.unit_id,
                            period,
                            "fuel",
                            "生物质成型燃料",
                            steam * 0.21,
                            "t",
                            0.05,
                            3.5,
                        )
                        if a["co_firing"] == "coal":
                            add(
                                e,
                                u.unit_id,
                                period,
                                "fuel",
                                "原煤",
                                steam * 0.03,
                                "t",
                                coal_s,
                                coal_ash,
                            )
                elif u.kind == "kiln":
                    a = u.attrs
                    kt = a["kiln_type"]
                    prof = o.profile if o else "continuous"
                    season = _season(
                        period,
                        "staggered"
                        if prof == "staggered"
                        else "herb"
                        if e.template == "herb_drying"
                        else "flat",
                    )
                    util = _utilisation(o, period, truth, 0.85 * season) / 0.88
                    cap_month = (e.eia_capacity / 12) * util * jitter
                    if kt == "tunnel_kiln" and e.template == "bricks":
                        add(e, u.unit_id, period, "product", "烧结砖", cap_month, "万块标砖")
                        add(
                            e,
                            u.unit_id,
                            period,
                            "fuel",
                            "煤矸石",
                            cap_month * 1.1,
                            "t",
                            round(rng.uniform(1.0, 1.8), 2),
                            38.0,
                        )
                    elif kt == "glass_furnace":
                        add(e, u.unit_id, period, "product", a["product"], cap_month, "t")
                        if a["fuel"] == "natural_gas":
                            add(
                                e,
                                u.unit_id,
                                period,
                                "fuel",
                                "天然气",
                                cap_month * 200 / 1e4,
                                "万立方米",
                            )
                    elif kt == "gas_generator":
                        add(
                            e,
                            u.unit_id,
                            period,
                            "fuel",
                            "原煤",
                            cap_month * 0.35 if cap_month else 0.0,
                            "t",
                            coal_s,
                            coal_ash,
                        )
                    elif kt == "rotary_kiln":
                        add(e, u.unit_id, period, "product", "水泥熟料", cap_month, "t")
                        add(
                            e,
                            u.unit_id,
                            period,
                            "fuel",
                            "原煤",
                            cap_month * 0.13,
                            "t",
                            coal_s,
                            coal_ash,
                        )
                    elif kt == "dryer" and e.template == "fertilizer":
                        add(e, u.unit_id, period, "product", "复合肥", cap_month, "t")
                        if a["fuel"] == "coal":
                            add(
                                e,
                                u.unit_id,
                                period,
                                "fuel",
                                "原煤",
                                cap_month * 0.02,
                                "t",
                                coal_s,
                                coal_ash,
                            )
                        else:
                            add(
                                e,
                                u.unit_id,
                                period,
                                "fuel",
                                "天然气",
                                cap_month * 15 / 1e4,
                                "万立方米",
                            )
                    elif kt == "dryer" and e.template == "herb_drying":
                        add(
                            e, u.unit_id, period, "product", f"{a['product']}(干品)", cap_month, "t"
                        )
                        fuel = a["fuel"]
                        if fuel == "coal":
                            add(
                                e,
                                u.unit_id,
                                period,
                                "fuel",
                                "原煤",
                                cap_month * 0.8,
                                "t",
                                round(coal_s + 0.3, 2),
                                coal_ash,
                            )
                        elif fuel == "natural_gas":
                            add(
                                e,
                                u.unit_id,
                                period,
                                "fuel",
                                "天然气",
                                cap_month * 600 / 1e4,
                                "万立方米",
                            )
                    elif kt in ("cupola", "other"):
                        add(e, u.unit_id, period, "product", "铸件", cap_month, "t")
                        if a["fuel"] == "coke":
                            add(
                                e,
                                u.unit_id,
                                period,
                                "fuel",
                                "焦炭",
                                cap_month * 0.12,
                                "t",
                                0.6,
                                12.0,
                            )
                    elif kt in ("shuttle_kiln", "tunnel_kiln"):
                        add(
                            e,
                            u.unit_id,
                            period,
                            "product",
                            a["product"],
                            cap_month,
                            a["capacity_unit"].replace("/年", ""),
                        )
                        add(
                            e,
                            u.unit_id,
                            period,
                            "fuel",
                            "天然气",
                            cap_month * 120 / 1e4,
                            "万立方米",
                        )
                elif u.kind == "voc":
                    a = u.attrs
                    mat = a["material"] or "溶剂"
                    voc_pct = 8.0 if "水性" in mat else 25.0 if "UV" in mat else rng.uniform(55, 75)
                    scale = {
                        "printing": 6.0,
                        "coating": 2.5,
                        "chemical": 40.0,
                        "adhesive": 1.5,
                        "storage": 0.0,
                    }.get(a["process"], 1.0)
                    if e.template == "car_repair":
                        scale = 0.4
                    if scale == 0.0:
                        continue
                    cat = "raw_material" if a["process"] == "chemical" else "solvent"
                    add(
                        e,
                        u.unit_id,
                        period,
                        cat,
                        mat,
                        scale * jitter * _season(period, "flat"),
                        "t",
                        voc=round(voc_pct, 1),
                    )
                    if a["process"] in ("printing", "coating") and "水性" not in mat:
                        add(
                            e,
                            u.unit_id,
                            period,
                            "solvent",
                            "稀释剂",
                            scale * 0.3 * jitter,
                            "t",
                            voc=100.0,
                        )
            if e.template in (
                "sand_gravel",
                "cement_grinding",
                "chemicals",
                "printing",
                "leather",
                "furniture",
            ):
                unit_name = {
                    "sand_gravel": "t",
                    "cement_grinding": "t",
                    "chemicals": "t",
                    "printing": "万平方米",
                    "leather": "万张",
                    "furniture": "件",
                }[e.template]
                item = {
                    "sand_gravel": "砂石骨料",
                    "cement_grinding": "水泥",
                    "chemicals": "化工产品",
                    "printing": "包装印刷品",
                    "leather": "成品革",
                    "furniture": "木质家具",
                }[e.template]
                add(
                    e,
                    None,
                    period,
                    "product",
                    item,
                    e.eia_capacity / 12 * 0.75 * jitter * _season(period, "flat"),
                    unit_name,
                )
    return out


def write_activity(out: Path, county: County, truth: Truth, seed: int) -> dict[str, int]:
    """GBK CSV per township; heat and power enterprises send their own xlsx."""
    files: dict[str, int] = {}
    spec = fc.ACTIVITY
    rows = activity_rows(county, truth, seed)
    own = [(e, r) for e, r in rows if e.key_industry == "heat_power" and e.template == "heat_coal"]
    rest = [
        (e.township, r)
        for e, r in rows
        if not (e.key_industry == "heat_power" and e.template == "heat_coal")
    ]
    years = sorted({r["period"][:4] for _e, r in rows})
    for year in years:  # one file per township (or enterprise) and calendar year
        in_year = [(t, r) for t, r in rest if r["period"].startswith(year)]
        for town, rs in _by_township(in_year).items():
            rel = f"activity/activity_{TOWNSHIP_SLUGS[town]}_{year}.csv"
            style = GBK_CN.with_headers(unit_id="单元编号")
            files[rel] = write_csv(out / rel, spec, rs, _cols(spec), style, "gbk")
        by_ent: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e, r in own:
            if r["period"].startswith(year):
                by_ent[e.enterprise_id].append(r)
        for eid, rs in sorted(by_ent.items()):
            rel = f"activity/activity_{eid}_{year}.xlsx"
            files[rel] = write_xlsx(out / rel, spec, {"月度燃料产品": rs}, _cols(spec), GBK_CN)
    return files


# --------------------------------------------------------------------------- transport
_CARGO = {
    "heat_coal": ("原煤", "炉渣"),
    "bricks": ("煤矸石", "烧结砖"),
    "cement_clinker": ("石灰石", "水泥熟料"),
    "cement_grinding": ("熟料", "水泥"),
    "glass": ("石英砂", "玻璃制品"),
    "sand_gravel": ("原石", "砂石骨料"),
    "fertilizer": ("尿素", "复合肥"),
    "chemicals": ("化工原料", "化工产品"),
    "casting": ("生铁", "铸件"),
    "refractory": ("铝矾土", "耐火砖"),
    "heat_biomass": ("秸秆成型燃料", "灰渣"),
}


def _plate(rng: random.Random, electric: bool) -> str:
    city = rng.choice("HHHHHHUN") if rng.random() < 0.85 else rng.choice(("晋E", "晋A", "陕E"))
    prefix = ("豫" + city) if len(city) == 1 else city
    digits = "".join(rng.choice("0123456789") for _ in range(5))
    return f"{prefix}·{'D' if electric else ''}{digits}" if electric else f"{prefix}·{digits}"


def transport_rows(county: County, truth: Truth, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Gate records per enterprise for the covered days; heat and power coal by rail, the clinker
    plant's limestone by belt. Clean-transport shares straddle the 85 % target."""
    rng = random.Random(seed * 211 + 9)
    t0 = datetime(truth.start.year, truth.start.month, truth.start.day)
    out: dict[str, list[dict[str, Any]]] = {}
    for e in county.enterprises:
        if e.template not in _CARGO:
            continue
        clean_target = rng.choice((0.55, 0.7, 0.8, 0.84, 0.88, 0.92, 0.97, 1.0))
        fleet = []
        for _ in range(rng.randint(12, 30)):
            clean = rng.random() < clean_target
            if clean:
                std = "electric" if rng.random() < 0.25 else "china6"
            else:
                std = (
                    rng.choice(("china5", "china5", "china4", "lng", "china3"))
                    if e.template != "sand_gravel" or rng.random() < 0.15
                    else "china5"
                )
                if e.template == "sand_gravel" and std in ("china3", "lng"):
                    std = "china4"
            fleet.append(
                (
                    _plate(rng, std == "electric"),
                    std,
                    rng.choice((31.0, 40.0, 49.0)) if std != "electric" else 31.0,
                )
            )
        trips_per_day = {"sand_gravel": 14, "cement_clinker": 16, "heat_coal": 6, "bricks": 8}.get(
            e.template, 4
        )
        cargo_in, cargo_out = _CARGO[e.template]
        rs: list[dict[str, Any]] = []
        for d in range(truth.days):
            day = t0 + timedelta(days=d)
            for _ in range(max(0, int(rng.gauss(trips_per_day, trips_per_day * 0.25)))):
                plate, std, cap = fleet[rng.randrange(len(fleet))]
                t_in = day + timedelta(minutes=rng.randint(6 * 60, 20 * 60))
                inbound = rng.random() < 0.5
                rs.append(
                    {
                        "enterprise_id": e.enterprise_id,
                        "gate_time": t_in,
                        "plate_no": plate,
                        "direction": "in" if inbound else "out",
                        "mode": "road",
                        "emission_standard": std,
                        "cargo": cargo_in if inbound else cargo_out,
                        "tonnes": round(cap * rng.uniform(0.75, 1.0), 2),
                    }
                )
            if e.template == "heat_coal" and d % 4 == 1:
                rs.append(
                    {
                        "enterprise_id": e.enterprise_id,
                        "gate_time": day + timedelta(hours=3, minutes=20),
                        "plate_no": None,
                        "direction": "in",
                        "mode": "rail",
                        "emission_standard": None,
                        "cargo": "原煤",
                        "tonnes": round(rng.uniform(2800, 3600), 1),
                    }
                )
            if e.template == "cement_clinker":
                rs.append(
                    {
                        "enterprise_id": e.enterprise_id,
                        "gate_time": day + timedelta(hours=23, minutes=59),
                        "plate_no": None,
                        "direction": "in",
                        "mode": "belt",
                        "emission_standard": None,
                        "cargo": "石灰石",
                        "tonnes": round(
                            rng.uniform(3000, 4200) if d < 14 else rng.uniform(0, 200), 1
                        ),
                    }
                )
        rs.sort(key=lambda r: r["gate_time"])
        out[e.enterprise_id] = rs
    return out


def write_transport(out: Path, county: County, truth: Truth, seed: int) -> dict[str, int]:
    """Per enterprise and month: UTF-8-with-BOM CSV, or xlsx (road sheet + rail/belt sheet)."""
    files: dict[str, int] = {}
    spec = fc.TRANSPORT
    for i, (eid, rs) in enumerate(transport_rows(county, truth, seed).items()):
        by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rs:
            by_month[r["gate_time"].strftime("%Y%m")].append(r)
        for month, mrs in sorted(by_month.items()):
            if i % 3 == 2:
                rel = f"transport/gate_{eid}_{month}.xlsx"
                sheets = {
                    "门禁记录": [r for r in mrs if r["mode"] == "road"],
                    "铁路皮带运输": [r for r in mrs if r["mode"] != "road"],
                }
                sheets = {k: v for k, v in sheets.items() if v}
                files[rel] = write_xlsx(out / rel, spec, sheets, _cols(spec), GBK_CN)
            else:
                rel = f"transport/gate_{eid}_{month}.csv"
                files[rel] = write_csv(out / rel, spec, mrs, _cols(spec), BOM_CN, "utf-8-sig")
    return files


# --------------------------------------------------------------------------- manual tests
def manual_test_rows(
    county: County, truth: Truth, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(routine stack tests in 2023 for every outlet with pollutants, comparison tests on CEMS
    outlets during the covered period, agreeing with the CEMS within a few per cent)."""
    rng = random.Random(seed * 307 + 1)
    routine: list[dict[str, Any]] = []
    comparison: list[dict[str, Any]] = []
    report = 100
    for o in county.outlets:
        quarters = (
            (date(2023, 3, 10), date(2023, 6, 12), date(2023, 9, 14))
            if not o.monitored
            else (date(2023, 5, 16), date(2023, 8, 22))
        )
        for q in quarters:
            d = q + timedelta(days=rng.randint(0, 20))
            report += 1
            o2 = None if o.reference_o2 is None else round(o.o2_full + rng.uniform(0, 1.5), 1)
            for p in o.pollutants:
                routine.append(
                    {
                        "enterprise_id": o.enterprise_id,
                        "outlet_id": o.outlet_id,
                        "pollutant_code": POLLUTANT_CODES[p],
                        "test_date": d,
                        "converted_mg_m3": round(
                            o.limits[p] * o.base_fraction[p] * rng.uniform(0.8, 1.15), 2
                        ),
                        "flow_m3_h": round(o.design_flow_m3_s * 3600 * rng.uniform(0.7, 0.95), -1),
                        "o2_pct": o2,
                        "report_no": f"MZHJ-JC-2023-{report:04d}",
                    }
                )
        if o.mn is None or o.mn not in truth.outlets:
            continue
        h = truth.outlets[o.mn].hourly.filter((pl.col("flag") == "N") & pl.col("transmitted"))
        h = h.filter(pl.col(f"{o.pollutants[0]}_flag") == "N")
        if h.height < 24:
            continue
        day = h["time"][int(rng.uniform(0.3, 0.7) * h.height)].date()
        dh = h.filter(pl.col("time").dt.date() == day)
        report += 1
        for p in o.pollutants:
            col = f"{p}_zs_mg_m3" if o.reference_o2 is not None else f"{p}_mg_m3"
            val = float(dh[col].mean() or 0.0)
            comparison.append(
                {
                    "enterprise_id": o.enterprise_id,
                    "outlet_id": o.outlet_id,
                    "pollutant_code": POLLUTANT_CODES[p],
                    "test_date": day,
                    "converted_mg_m3": round(val * rng.uniform(0.93, 1.07), 2),
                    "flow_m3_h": round(
                        float(dh["flow_m3_s"].mean() or 0.0) * 3600 * rng.uniform(0.95, 1.05), -1
                    ),
                    "o2_pct": round(float(dh["o2_pct"].mean() or 0.0), 1),
                    "report_no": f"MZHJ-BD-{day:%Y%m}-{report:04d}",
                }
            )
    return routine, comparison


def write_manual_tests(out: Path, county: County, truth: Truth, seed: int) -> dict[str, int]:
    spec = fc.MANUAL_TESTS
    routine, comparison = manual_test_rows(county, truth, seed)
    files = {}
    rel = "manual_tests/stack_tests_2023.csv"
    files[rel] = write_csv(out / rel, spec, routine, _cols(spec), UTF8_CN_YN, "utf-8")
    start = truth.start
    rel = f"manual_tests/comparison_tests_{start:%Y%m}.xlsx"
    files[rel] = write_xlsx(out / rel, spec, {"比对监测": comparison}, _cols(spec), GBK_CN)
    return files
