"""The second world's registry and ledgers, in the delivered formats (the project's feed
contracts and table writers), with its offices' habits:

- the registry comes with Chinese headers in UTF-8 with BOM;
- one county-wide file per ledger (boilers as xlsx, kilns as GBK CSV, VOC as UTF-8 CSV);
- activity: one GBK CSV per enterprise and year; quantities are what was weighed or metered
  (±1.5 %); plants that book fuel for the whole plant leave the unit empty; one brick works
  writes its supplier's annual sulfur content every month; printers and furniture makers write
  solvent when they buy it, every two or three months, not when they use it;
- stack tests in one xlsx of the monitoring station.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from fallback.world.calendar import Hours
from fallback.world.monitoring import CODES
from fallback.world.physics import Item, UnitYear
from fallback.world.plants import Plant

from dagster_project.feeds import contracts as fc
from dagster_project.generator.tables import Style, write_csv, write_xlsx

CN = Style()
CN_BOM = Style(alias_index=1, date_fmt="%Y/%m/%d")
RANGES = (20.0, 50.0, 100.0, 200.0, 300.0, 500.0, 1000.0, 2000.0)
DETECTION = {"pm": 1.0, "so2": 3.0, "nox": 3.0, "voc": 0.07, "nh3": 0.25}


def _cols(spec: fc.FeedSpec, *extra: str) -> list[str]:
    return [c.name for c in spec.columns] + list(extra)


def write_registry(out: Path, plants: list[Plant]) -> dict[str, int]:
    ents, outs, lims = [], [], []
    for p in plants:
        ents.append(
            {
                "enterprise_id": p.enterprise_id,
                "name": p.name,
                "township": p.township,
                "industry_code": p.industry_code,
                "key_industry": p.key_industry,
                "performance_grade": p.grade,
                "permit_no": p.permit_no,
                "longitude": p.longitude,
                "latitude": p.latitude,
                "in_park": p.in_park,
                "eia_capacity": p.capacity,
                "permit_capacity": p.capacity,
                "prior_year_output": round(p.capacity * 0.8, 1),
                "capacity_unit": p.capacity_unit,
            }
        )
        for u in p.units:
            s = u.stack
            if s is None:
                continue
            outs.append(
                {
                    "enterprise_id": p.enterprise_id,
                    "outlet_id": s.outlet_id,
                    "mn": s.mn,
                    "outlet_name": s.name,
                    "source_kind": s.source_kind,
                    "unit_id": u.unit_id if u.ledger else None,
                    "reference_o2": s.ref_o2,
                    "networked": s.mn is not None,
                    "stack_height_m": s.height_m,
                }
            )
            if s.mn is None:
                continue
            for pol in s.pollutants:
                limit = float(s.limits[pol])
                lims.append(
                    {
                        "mn": s.mn,
                        "pollutant_code": CODES[pol],
                        "limit_mg_m3": limit,
                        "analyzer_range": next((r for r in RANGES if r >= 3 * limit), 5000.0),
                        "detection_limit": DETECTION[pol],
                    }
                )
    files = {}
    for name, spec, rows in (
        ("enterprises", fc.REGISTRY_ENTERPRISES, ents),
        ("outlets", fc.REGISTRY_OUTLETS, outs),
        ("outlet_limits", fc.REGISTRY_OUTLET_LIMITS, lims),
    ):
        rel = f"registry/{name}.csv"
        files[rel] = write_csv(out / rel, spec, rows, _cols(spec), CN, "utf-8-sig")
    return files


def write_unit_ledgers(out: Path, plants: list[Plant]) -> dict[str, int]:
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in plants:
        for u in p.units:
            if u.ledger:
                rows[u.ledger].append(
                    {"enterprise_id": p.enterprise_id, "unit_id": u.unit_id, **u.attrs}
                )
    files = {}
    rel = "boilers/county_boiler_ledger.xlsx"
    files[rel] = write_xlsx(out / rel, fc.BOILERS, {"锅炉": rows["boiler"]}, _cols(fc.BOILERS), CN)
    rel = "kilns/county_kiln_ledger.csv"
    files[rel] = write_csv(out / rel, fc.KILNS, rows["kiln"], _cols(fc.KILNS), CN_BOM, "gbk")
    rel = "voc/county_voc_ledger.csv"
    spec = fc.VOC_SOURCES
    files[rel] = write_csv(out / rel, spec, rows["voc"], _cols(spec), CN_BOM, "utf-8-sig")
    return files


# ----------------------------------------------------------------------------- activity
def _monthly(h: Hours, hourly: np.ndarray) -> np.ndarray:
    return np.bincount(h.month - 1, weights=hourly, minlength=12)


def _purchases(use: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bought every 2-3 months: what was used since the last purchase, give or take stock."""
    bought = np.zeros(12)
    due, since = int(rng.integers(0, 3)), 0.0
    for m in range(12):
        since += use[m]
        if m == due or m == 11:
            bought[m] = since * (1 + rng.normal(0, 0.08))
            since, due = 0.0, m + int(rng.integers(2, 4))
    return bought


def activity_rows(plant: Plant, years: dict, h: Hours, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng([seed, zlib.crc32(plant.enterprise_id.encode()), 5])
    # (unit_id or None, item) -> monthly quantity, and the fuel's sulfur/ash per month
    qty: dict[tuple[str | None, Item], np.ndarray] = defaultdict(lambda: np.zeros(12))
    sulfur: dict[tuple[str | None, Item], np.ndarray] = defaultdict(lambda: np.zeros(12))
    ash: dict[tuple[str | None, Item], np.ndarray] = defaultdict(lambda: np.zeros(12))
    voc: dict[Item, float] = {}
    for u in plant.units:
        y: UnitYear = years[(u.enterprise_id, u.unit_id)]
        unit_id = None if u.reports == "enterprise" else u.unit_id
        for item, hourly in y.activity.items():
            m = _monthly(h, hourly) * (1 + rng.normal(0, 0.015, 12))
            qty[(unit_id, item)] += m
            if y.sulfur_pct is not None and item[0] == "fuel" and item[1] != "天然气":
                sulfur[(unit_id, item)] += m * y.sulfur_pct
                assert y.ash_pct is not None
                ash[(unit_id, item)] += m * y.ash_pct
            if item in y.voc_pct:
                voc[item] = y.voc_pct[item]
    rows = []
    for (unit_id, item), q in qty.items():
        cat, name, unit = item
        if cat == "solvent" and "lumpy_purchases" in plant.habits:
            q = _purchases(q, rng)
        s = sulfur.get((unit_id, item))
        a = ash.get((unit_id, item))
        year_s = float(s.sum() / q.sum()) if s is not None and q.sum() > 0 else None
        for m in range(12):
            if cat == "solvent" and "lumpy_purchases" in plant.habits and q[m] <= 0:
                continue
            s_pct = None
            if s is not None and q[m] > 0:
                s_pct = year_s if "constant_sulfur" in plant.habits else s[m] / q[m]
            rows.append(
                {
                    "enterprise_id": plant.enterprise_id,
                    "unit_id": unit_id,
                    "period": f"{h.year}-{m + 1:02d}",
                    "category": cat,
                    "item": name,
                    "quantity": round(float(q[m]), 2 if unit == "万立方米" else 1),
                    "unit": unit,
                    "sulfur_pct": None if s_pct is None else round(s_pct, 2),
                    "ash_pct": None if a is None or q[m] <= 0 else round(float(a[m] / q[m]), 1),
                    "voc_content_pct": voc.get(item),
                }
            )
    return rows


def write_activity(
    out: Path, plants: list[Plant], years: dict, h: Hours, seed: int
) -> dict[str, int]:
    files = {}
    spec = fc.ACTIVITY
    for p in plants:
        rows = activity_rows(p, years, h, seed)
        if rows:
            rel = f"activity/{p.enterprise_id}_{h.year}.csv"
            files[rel] = write_csv(out / rel, spec, rows, _cols(spec), CN, "gbk")
    return files


def write_stack_tests(out: Path, rows: list[dict[str, Any]], year: int) -> dict[str, int]:
    rel = f"manual_tests/monitoring_reports_{year}.xlsx"
    spec = fc.MANUAL_TESTS
    return {rel: write_xlsx(out / rel, spec, {"监测报告": rows}, _cols(spec), CN)}
