"""`generate()`: the whole county on disk, deterministic for a seed."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dagster_project.generator.ambient import AmbientEvent
from dagster_project.generator.ambient_files import write_ambient
from dagster_project.generator.cems import CorruptLine, write_cems
from dagster_project.generator.county import MENGZHOU, County, Place, build_county, enterprises_for
from dagster_project.generator.ledgers import (
    write_activity,
    write_manual_tests,
    write_registry,
    write_transport,
    write_unit_ledgers,
)
from dagster_project.generator.physics import Event, Truth, minute_outlets_share, simulate
from dagster_project.generator.readme import write_readme

# Folders the generator owns inside out_dir; emptied before writing so stale files never linger.
OWNED_FOLDERS = (
    "registry",
    "boilers",
    "kilns",
    "voc",
    "activity",
    "transport",
    "manual_tests",
    "cems",
    "ambient",
)


@dataclass
class GenerationSummary:
    out_dir: Path
    seed: int
    start: date
    days: int
    enterprises: int
    outlets: int
    monitored_outlets: int
    files: dict[str, int] = field(default_factory=dict)  # relative path -> records (lines for CEMS)
    hourly_packets: int = 0
    minute_packets: int = 0
    event_packets: int = 0
    corrupted_lines: list[CorruptLine] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    ambient_events: list[AmbientEvent] = field(default_factory=list)
    ambient_duplicates: list[str] = field(default_factory=list)  # re-sent hourly records
    seconds: float = 0.0
    minute_share: float | None = None  # None: the sample's two minute outlets for two days

    def rows_per_feed(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for rel, n in self.files.items():
            feed = rel.split("/", 1)[0]
            if feed in ("registry", "ambient"):
                feed = feed + "/" + rel.split("/")[1].split(".")[0]
            out[feed] = out.get(feed, 0) + n
        return out


def clean_truth(
    seed: int = 2023,
    start: date = date(2023, 11, 1),
    days: int = 30,
    enterprises: int = 60,
    county_code: str = MENGZHOU,
    **kwargs,
) -> tuple[County, Truth]:
    """The county and its clean physical truth, without writing anything."""
    county = build_county(seed, enterprises, Place(county_code))
    return county, simulate(county, start, days, seed, **kwargs)


def generate(
    out_dir: Path,
    seed: int = 2023,
    start: date = date(2023, 11, 1),
    days: int = 30,
    enterprises: int = 60,
    *,
    truth_hook: Callable[[County, Truth], Truth] | None = None,
    realism: bool = True,
    cems_outlets: int | None = None,
    minute_share: float | None = None,
    gzip_level: int = 9,
    county_code: str = MENGZHOU,
) -> GenerationSummary:
    """Write the synthetic county into out_dir (registry, ledgers, CEMS logs, README.md).

    `truth_hook(county, truth) -> truth` runs between physics and serialisation (fault injection).
    Scale (county-years): `cems_outlets` sizes the county by its CEMS outlets instead of
    `enterprises` (the fewest enterprises with at least that many); `minute_share` of the CEMS
    outlets send minute data for every day (`minute_outlets_share`; default: the sample's two
    outlets for two days); `gzip_level` of the logs (9, the sample's; 1 is several times faster).
    `county_code` places the county in the province (`county.Place`): Mengzhou's by default.
    """
    if cems_outlets is not None:
        if cems_outlets < 1:
            raise ValueError("cems_outlets must be positive")
        enterprises = enterprises_for(seed, cems_outlets)
    if days < 1 or enterprises < 1:
        raise ValueError("days and enterprises must be positive")
    if minute_share is not None and not 0 <= minute_share <= 1:
        raise ValueError("minute_share must be between 0 and 1")
    t = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for folder in OWNED_FOLDERS:
        if (out_dir / folder).exists():
            shutil.rmtree(out_dir / folder)
    if minute_share is None:
        county, truth = clean_truth(seed, start, days, enterprises, county_code)
    else:
        county = build_county(seed, enterprises, Place(county_code))
        minute_mns = minute_outlets_share(county, minute_share, seed)
        truth = simulate(
            county, start, days, seed, minute_mns=minute_mns, minute_days=days, lazy_minutes=True
        )
    if truth_hook is not None:
        truth = truth_hook(county, truth)
    s = GenerationSummary(
        out_dir=out_dir,
        seed=seed,
        start=start,
        days=days,
        enterprises=len(county.enterprises),
        outlets=len(county.outlets),
        monitored_outlets=len(county.monitored_outlets),
        events=list(truth.events),
        minute_share=minute_share,
    )
    s.files.update(write_registry(out_dir, county))
    s.files.update(write_unit_ledgers(out_dir, county))
    s.files.update(write_activity(out_dir, county, truth, seed))
    s.files.update(write_transport(out_dir, county, truth, seed))
    s.files.update(write_manual_tests(out_dir, county, truth, seed))
    cems = write_cems(out_dir, county, truth, seed, realism=realism, gzip_level=gzip_level)
    s.files.update(cems.files)
    s.hourly_packets, s.minute_packets = cems.hourly_packets, cems.minute_packets
    s.event_packets, s.corrupted_lines = cems.event_packets, cems.corrupted
    ambient = write_ambient(out_dir, county, start, days, seed)
    s.files.update(ambient.files)
    s.ambient_events, s.ambient_duplicates = ambient.events, ambient.duplicates
    write_readme(out_dir, s, county)
    s.seconds = time.perf_counter() - t
    return s
