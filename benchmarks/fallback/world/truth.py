"""The second world's physical truth per unit, pollutant and month (what really left each stack,
and the VOC that escaped uncaptured), kept outside the sources, and its comparison with a build:
how close the CEMS comes to the physics, and the county totals against the inventory's."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
from fallback.score import Warehouses
from fallback.world.calendar import Hours
from fallback.world.monitoring import CODES
from fallback.world.physics import UnitYear

COLUMNS = (
    "enterprise_id",
    "unit_id",
    "outlet_id",
    "mn",
    "pollutant_code",
    "month",
    "stack_t",  # compound mass (VOC as VOC)
    "as_measured_t",  # as a CEMS reports it (NMHC as carbon)
    "fugitive_t",  # VOC escaping uncaptured
)


def write_truth(path: Path, years: dict[tuple[str, str], UnitYear], h: Hours) -> int:
    rows = []
    for y in years.values():
        u, s = y.unit, y.unit.stack
        pollutants = dict(y.kg)
        for pol, kg in pollutants.items():
            monthly = np.bincount(h.month - 1, weights=kg, minlength=12) / 1000
            fug = (
                np.bincount(h.month - 1, weights=y.fugitive_kg, minlength=12) / 1000
                if pol == "voc" and y.fugitive_kg is not None
                else np.zeros(12)
            )
            factor = y.carbon_fraction if pol == "voc" else 1.0
            for m in range(12):
                rows.append(
                    (
                        u.enterprise_id,
                        u.unit_id,
                        s.outlet_id if s else "",
                        (s.mn or "") if s else "",
                        CODES[pol],
                        f"{h.year}-{m + 1:02d}-01",
                        f"{monthly[m]:.6f}",
                        f"{monthly[m] * factor:.6f}",
                        f"{fug[m]:.6f}",
                    )
                )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        w.writerows(rows)
    return len(rows)


def truth_lines(path: Path, full: Path, withheld: Path | None, first: date, end: date) -> list[str]:
    """How the CEMS truth and the inventory compare with the world's physics. CEMS months are
    compared only where the packets covered the whole month (`first` <= month, month end <=
    `end`, exclusive)."""
    with Warehouses(full, withheld) as w:
        w.con.execute(
            f"create temp table physics as select * from read_csv('{path}', header = true, "
            "types = {'mn': 'VARCHAR', 'month': 'DATE'})"
        )
        cems = w.rows(
            """
            select c.pollutant_code, sum(c.total_t), sum(p.as_measured_t), count(*)
            from fb.marts.cems_monthly as c
            inner join physics as p
                on p.mn = c.mn and p.pollutant_code = c.pollutant_code
                and p.month = cast(c.month_start as date)
            where p.month >= ? and p.month + interval 1 month <= ?
            group by 1 order by 1
            """,
            [first, end],
        )
        lines = [
            "world physics vs the full build's CEMS (outlet-months wholly inside the packets' "
            "window; NMHC as carbon):" + ("" if cems else " none")
        ]
        for code, cems_t, phys_t, n in cems:
            ratio = cems_t / phys_t if phys_t else float("nan")
            lines.append(
                f"  {code}  {n:>4} outlet-months  CEMS {cems_t:>9.2f} t  physics {phys_t:>9.2f} t"
                f"  CEMS/physics {ratio:.2f}"
            )
        county: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for code, stack_t, fug_t in w.rows(
            "select pollutant_code, sum(stack_t), sum(fugitive_t) from physics group by 1"
        ):
            county[code][0], county[code][1] = stack_t, fug_t
        dbs = ["fb"] + (["wb"] if withheld is not None else [])
        total = "select pollutant_code, cast(sum(emissions_t) as double) from {}.marts.emissions"
        totals = {db: dict(w.rows(total.format(db) + " group by 1")) for db in dbs}
    lines.append(
        "world physics vs the inventory, county totals (t; VOC as compound mass, stack + fugitive):"
    )
    for code in sorted(county):
        stack_t, fug_t, _ = county[code]
        phys = stack_t + fug_t
        inv = "  ".join(
            f"{label} {totals[db].get(code, 0.0):>9.2f} ({totals[db].get(code, 0.0) / phys:.2f}x)"
            for db, label in zip(dbs, ("full", "withheld"), strict=False)
            if phys > 0
        )
        lines.append(f"  {code}  physics stack {stack_t:>9.2f} + fugitive {fug_t:>8.2f}   {inv}")
    return lines
