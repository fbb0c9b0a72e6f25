"""A second county-year, made independently of the project's generator (see README.md here).

    write_world(out, seed, start, days, truth_csv=None) -> WorldSummary

writes registry/, boilers/, kilns/, voc/, activity/, manual_tests/ and cems/ into `out` in the
delivered formats, for the calendar year of `start` (activity and stack tests cover the whole
year; CEMS packets the `days` from `start`, within that year), and the physical truth per unit,
pollutant and month to `truth_csv`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from fallback.world.calendar import Hours
from fallback.world.ledgers import (
    write_activity,
    write_registry,
    write_stack_tests,
    write_unit_ledgers,
)
from fallback.world.mix import build_plants
from fallback.world.monitoring import record, stack_tests, write_cems
from fallback.world.physics import simulate
from fallback.world.truth import write_truth

FOLDERS = ("registry", "boilers", "kilns", "voc", "activity", "manual_tests", "cems")


@dataclass
class WorldSummary:
    enterprises: int
    units: int
    outlets: int
    cems_outlets: int
    packets: int
    files: dict[str, int] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        return [
            f"sources: {self.enterprises} enterprises, {self.units} units, {self.outlets} outlets "
            f"({self.cems_outlets} with CEMS), {self.packets} hourly packets, "
            f"{len(self.files)} files"
        ]


def write_world(
    out: Path, seed: int, start: date, days: int, truth_csv: Path | None = None
) -> WorldSummary:
    out = Path(out)
    for folder in FOLDERS:
        if (out / folder).exists():
            shutil.rmtree(out / folder)
    h = Hours.of_year(start.year)
    plants = build_plants(seed)
    units = [u for p in plants for u in p.units]
    years = simulate(units, h, seed)
    first = h.index(datetime.combine(start, datetime.min.time()))
    last = min(h.n, first + 24 * days)
    township = {p.enterprise_id: p.township for p in plants}
    recordings = [
        record(y, township[y.unit.enterprise_id], h, seed)
        for y in years.values()
        if y.unit.stack is not None and y.unit.stack.mn is not None
    ]
    files = write_registry(out, plants)
    files |= write_unit_ledgers(out, plants)
    files |= write_activity(out, plants, years, h, seed)
    files |= write_stack_tests(out, stack_tests(plants, years, h, seed), h.year)
    cems_files, packets = write_cems(out, recordings, h, first, last, seed)
    files |= cems_files
    if truth_csv is not None:
        write_truth(truth_csv, years, h)
    stacks = [u.stack for u in units if u.stack is not None]
    return WorldSummary(
        enterprises=len(plants),
        units=len(units),
        outlets=len(stacks),
        cems_outlets=sum(1 for s in stacks if s.mn),
        packets=packets,
        files=files,
    )
