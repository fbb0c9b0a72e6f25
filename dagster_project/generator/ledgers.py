"""Registry and ledger feeds: registry/, boilers/, kilns/, voc/, activity/, transport/,
manual_tests/. Rows come from the county (and, for the covered months, from the physical truth
so activity, tests and CEMS agree)."""

from __future__ import annotations

import calendar
import random
from collections import defaultdict
from dataclasses import dataclass
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
# Registry columns that are attributes of the same name on Enterprise / Outlet.
_ENTERPRISE_FIELDS = (
    "enterprise_id",
    "name",
    "township",
    "industry_code",
    "key_industry",
    "performance_grade",
    "permit_no",
    "longitude",
    "latitude",
    "in_park",
    "eia_capacity",
    "permit_capacity",
    "prior_year_output",
    "capacity_unit",
)
_OUTLET_FIELDS = (
    "enterprise_id",
    "outlet_id",
    "mn",
    "outlet_name",
    "source_kind",
    "unit_id",
    "reference_o2",
    "networked",
    "stack_height_m",
)


def _fields(obj: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(obj, n) for n in names}


def write_registry(out: Path, county: County) -> dict[str, int]:
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
    ents = [
        {**_fields(e, _ENTERPRISE_FIELDS), "township": county.place.name(e.township)}
        for e in county.enterprises
    ]
    outs = [_fields(o, _OUTLET_FIELDS) for o in county.outlets]
    tables = (
        ("enterprises", fc.REGISTRY_ENTERPRISES, ents),
        ("outlets", fc.REGISTRY_OUTLETS, outs),
        ("outlet_limits", fc.REGISTRY_OUTLET_LIMITS, lims),
    )
    files: dict[str, int] = {}
    for name, spec, rows in tables:  # all three: canonical headers, UTF-8 without BOM
        rel = f"registry/{name}.csv"
        files[rel] = write_csv(out / rel, spec, rows, _cols(spec), CANONICAL, "utf-8")
    return files


# --------------------------------------------------------------------------- boilers, kilns, voc
@dataclass(frozen=True)
class _LedgerFile:
    """How an office sends a ledger: xlsx on one `sheet` when it names one, else CSV in
    `encoding`."""

    style: Style
    encoding: str = ""
    sheet: str = ""

    @property
    def ext(self) -> str:
        return "xlsx" if self.sheet else "csv"

    def write(
        self, path: Path, spec: fc.FeedSpec, rows: list[dict[str, Any]], columns: list[str]
    ) -> int:
        if self.sheet:
            return write_xlsx(path, spec, {self.sheet: rows}, columns, self.style)
        return write_csv(path, spec, rows, columns, self.style, self.encoding)


def _write_by_township(
    out: Path,
    stem: str,
    spec: fc.FeedSpec,
    items: list[tuple[str, dict[str, Any]]],
    columns: list[str],
    usual: _LedgerFile,
    odd: dict[str, _LedgerFile] | None = None,
) -> dict[str, int]:
    """One file per township, named `stem` with the township's slug for {slug}: in the `usual`
    format, or in the one `odd` gives for a township whose office sends another."""
    files: dict[str, int] = {}
    for town, rs in _by_township(items).items():
        fmt = (odd or {}).get(town, usual)
        rel = f"{stem.format(slug=TOWNSHIP_SLUGS[town])}.{fmt.ext}"
        files[rel] = fmt.write(out / rel, spec, rs, columns)
    return files


def write_unit_ledgers(out: Path, county: County) -> dict[str, int]:
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

    files: dict[str, int] = {}
    # boilers: GBK CSV per township, but 化工镇 sends xlsx;
    # kilns: xlsx per township, but 槐树乡 sends a GBK CSV with slash dates
    boiler_style = GBK_CN.with_headers(unit_id="锅炉编号")
    boiler_csv = _LedgerFile(boiler_style, encoding="gbk")
    boiler_xlsx = _LedgerFile(boiler_style, sheet="锅炉台账")
    kiln_xlsx = _LedgerFile(GBK_CN.with_headers(unit_id="窑炉编号"), sheet="工业炉窑台账")
    kiln_csv = _LedgerFile(
        Style(date_fmt="%Y/%m/%d").with_headers(unit_id="窑炉编号"), encoding="gbk"
    )
    ledgers = (  # (unit kind, feed, file stem, usual format, townships sending another)
        ("boiler", fc.BOILERS, "boilers/boilers_{slug}", boiler_csv, {"化工镇": boiler_xlsx}),
        ("kiln", fc.KILNS, "kilns/kilns_{slug}", kiln_xlsx, {"槐树乡": kiln_csv}),
    )
    for kind, spec, stem, usual, odd in ledgers:
        columns = _cols(spec, "企业名称")
        files |= _write_by_township(out, stem, spec, rows(kind), columns, usual, odd)
    # VOC: UTF-8 with BOM per township; the first chemical enterprise sends its own xlsx
    spec = fc.VOC_SOURCES
    voc = rows("voc")
    chem = next((e for e in county.enterprises if e.template == "chemicals"), None)
    own = [r for t, r in voc if chem is not None and r["enterprise_id"] == chem.enterprise_id]
    rest = [(t, r) for t, r in voc if chem is None or r["enterprise_id"] != chem.enterprise_id]
    voc_csv = _LedgerFile(BOM_CN.with_headers(unit_id="生产线编号"), encoding="utf-8-sig")
    files |= _write_by_township(out, "voc/voc_{slug}", spec, rest, _cols(spec, "企业名称"), voc_csv)
    if own and chem is not None:
        rel = f"voc/voc_{chem.enterprise_id}.xlsx"
        voc_xlsx = _LedgerFile(UTF8_CN_YN.with_headers(unit_id="生产线编号"), sheet="VOCs治理台账")
        files[rel] = voc_xlsx.write(out / rel, spec, own, _cols(spec))
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


@dataclass
class _ActivityRows:
    """Adds the activity rows of one enterprise, unit (None: the whole enterprise) and month.
    Coal rows carry the enterprise's coal quality unless a sulfur content is given."""

    out: list[tuple[Enterprise, dict[str, Any]]]
    e: Enterprise
    unit_id: str | None
    period: str
    coal_s: float
    coal_ash: float

    def add(
        self,
        cat: str,
        item: str,
        q: float,
        unit_name: str,
        s: float | None = None,
        ash: float | None = None,
        voc: float | None = None,
    ) -> None:
        row = {
            "enterprise_id": self.e.enterprise_id,
            "unit_id": self.unit_id,
            "period": self.period,
            "category": cat,
            "item": item,
            "quantity": round(q, 2),
            "unit": unit_name,
            "sulfur_pct": s,
            "ash_pct": ash,
            "voc_content_pct": voc,
        }
        self.out.append((self.e, row))

    def product(self, item: str, q: float, unit_name: str = "t") -> None:
        self.add("product", item, q, unit_name)

    def coal(self, tonnes: float, sulfur: float | None = None) -> None:
        s = self.coal_s if sulfur is None else sulfur
        self.add("fuel", "原煤", tonnes, "t", s, self.coal_ash)

    def gas(self, m3: float) -> None:
        """Natural gas in m3, reported in 万立方米."""
        self.add("fuel", "天然气", m3 / 1e4, "万立方米")


# Enterprise-level products of the templates whose units say nothing of output: (item, unit).
_PLAIN_PRODUCTS: dict[str, tuple[str, str]] = {
    "sand_gravel": ("砂石骨料", "t"),
    "cement_grinding": ("水泥", "t"),
    "chemicals": ("化工产品", "t"),
    "printing": ("包装印刷品", "万平方米"),
    "leather": ("成品革", "万张"),
    "furniture": ("木质家具", "件"),
}


def activity_rows(
    county: County, truth: Truth, seed: int
) -> list[tuple[Enterprise, dict[str, Any]]]:
    rng = random.Random(seed * 101 + 3)
    months = _months(truth.start, truth.days)
    out: list[tuple[Enterprise, dict[str, Any]]] = []
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
                rows = _ActivityRows(out, e, u.unit_id, period, coal_s, coal_ash)
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
                        rows.coal(steam * 0.15)
                    elif a["fuel"] == "gas":
                        rows.gas(steam * 75)
                    elif a["fuel"] == "biomass":
                        rows.add("fuel", "生物质成型燃料", steam * 0.21, "t", 0.05, 3.5)
                        if a["co_firing"] == "coal":
                            rows.coal(steam * 0.03)
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
                        rows.product("烧结砖", cap_month, "万块标砖")
                        gangue_s = round(rng.uniform(1.0, 1.8), 2)
                        rows.add("fuel", "煤矸石", cap_month * 1.1, "t", gangue_s, 38.0)
                    elif kt == "glass_furnace":
                        rows.product(a["product"], cap_month)
                        if a["fuel"] == "natural_gas":
                            rows.gas(cap_month * 200)
                    elif kt == "gas_generator":
                        rows.coal(cap_month * 0.35 if cap_month else 0.0)
                    elif kt == "rotary_kiln":
                        rows.product("水泥熟料", cap_month)
                        rows.coal(cap_month * 0.13)
                    elif kt == "dryer" and e.template == "fertilizer":
                        rows.product("复合肥", cap_month)
                        if a["fuel"] == "coal":
                            rows.coal(cap_month * 0.02)
                        else:
                            rows.gas(cap_month * 15)
                    elif kt == "dryer" and e.template == "herb_drying":
                        rows.product(f"{a['product']}(干品)", cap_month)
                        if a["fuel"] == "coal":
                            rows.coal(cap_month * 0.8, sulfur=round(coal_s + 0.3, 2))
                        elif a["fuel"] == "natural_gas":
                            rows.gas(cap_month * 600)
                    elif kt in ("cupola", "other"):
                        rows.product("铸件", cap_month)
                        if a["fuel"] == "coke":
                            rows.add("fuel", "焦炭", cap_month * 0.12, "t", 0.6, 12.0)
                    elif kt in ("shuttle_kiln", "tunnel_kiln"):
                        rows.product(a["product"], cap_month, a["capacity_unit"].replace("/年", ""))
                        rows.gas(cap_month * 120)
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
                    q = scale * jitter * _season(period, "flat")
                    rows.add(cat, mat, q, "t", voc=round(voc_pct, 1))
                    if a["process"] in ("printing", "coating") and "水性" not in mat:
                        rows.add("solvent", "稀释剂", scale * 0.3 * jitter, "t", voc=100.0)
            if e.template in _PLAIN_PRODUCTS:
                item, unit_name = _PLAIN_PRODUCTS[e.template]
                q = e.eia_capacity / 12 * 0.75 * jitter * _season(period, "flat")
                _ActivityRows(out, e, None, period, coal_s, coal_ash).product(item, q, unit_name)
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
    gbk_csv = _LedgerFile(GBK_CN.with_headers(unit_id="单元编号"), encoding="gbk")
    for year in years:  # one file per township (or enterprise) and calendar year
        in_year = [(t, r) for t, r in rest if r["period"].startswith(year)]
        stem = f"activity/activity_{{slug}}_{year}"
        files |= _write_by_township(out, stem, spec, in_year, _cols(spec), gbk_csv)
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


def _bulk_delivery(
    enterprise_id: str, when: datetime, mode: str, cargo: str, tonnes: float
) -> dict[str, Any]:
    """A gate record of an inbound rail or belt delivery: no plate, no emission standard."""
    return {
        "enterprise_id": enterprise_id,
        "gate_time": when,
        "plate_no": None,
        "direction": "in",
        "mode": mode,
        "emission_standard": None,
        "cargo": cargo,
        "tonnes": tonnes,
    }


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
                tonnes = round(rng.uniform(2800, 3600), 1)
                when = day + timedelta(hours=3, minutes=20)
                rs.append(_bulk_delivery(e.enterprise_id, when, "rail", "原煤", tonnes))
            if e.template == "cement_clinker":
                tonnes = round(rng.uniform(3000, 4200) if d < 14 else rng.uniform(0, 200), 1)
                when = day + timedelta(hours=23, minutes=59)
                rs.append(_bulk_delivery(e.enterprise_id, when, "belt", "石灰石", tonnes))
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
def _test_row(
    o: Outlet,
    p: str,
    test_date: date,
    converted: float,
    flow_m3_h: float,
    o2_pct: float | None,
    report_no: str,
) -> dict[str, Any]:
    """A manual (routine or comparison) stack-test result of one outlet and pollutant."""
    return {
        "enterprise_id": o.enterprise_id,
        "outlet_id": o.outlet_id,
        "pollutant_code": POLLUTANT_CODES[p],
        "test_date": test_date,
        "converted_mg_m3": converted,
        "flow_m3_h": flow_m3_h,
        "o2_pct": o2_pct,
        "report_no": report_no,
    }


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
                conv = round(o.limits[p] * o.base_fraction[p] * rng.uniform(0.8, 1.15), 2)
                flow = round(o.design_flow_m3_s * 3600 * rng.uniform(0.7, 0.95), -1)
                no = f"MZHJ-JC-2023-{report:04d}"
                routine.append(_test_row(o, p, d, conv, flow, o2, no))
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
            conv = round(float(dh[col].mean() or 0.0) * rng.uniform(0.93, 1.07), 2)
            flow = round(float(dh["flow_m3_s"].mean() or 0.0) * 3600 * rng.uniform(0.95, 1.05), -1)
            o2_pct = round(float(dh["o2_pct"].mean() or 0.0), 1)
            no = f"MZHJ-BD-{day:%Y%m}-{report:04d}"
            comparison.append(_test_row(o, p, day, conv, flow, o2_pct, no))
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
