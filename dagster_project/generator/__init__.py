"""Deterministic generator of a synthetic Mengzhou-like county (the `sources/` sample).

Writing a county
    generate(out_dir, seed=2023, start=date(2023, 11, 1), days=30, enterprises=60,
             *, truth_hook=None, realism=True) -> GenerationSummary
        Writes registry/, boilers/, kilns/, voc/, activity/, transport/, manual_tests/, cems/,
        ambient/ and README.md into out_dir (the generator's folders are emptied first). Same
        arguments -> identical bytes. `GenerationSummary.files` maps each relative path to its
        record count (CSV/xlsx rows, or packet lines for CEMS logs); it also lists the events,
        the deliberately corrupted CEMS lines and the ambient events.
    python -m dagster_project.generator --out DIR [--seed N] [--start YYYY-MM-DD] [--days N]
        [--enterprises N]   (argparse in `__main__.main(argv=None)`; `lantian generate` reuses it)

County-years at scale (benchmarks)
    generate(..., cems_outlets=N, minute_share=F, gzip_level=L): the fewest enterprises with at
        least N CEMS outlets (`county.enterprises_for`); minute data every day from a share F of
        them (`physics.minute_outlets_share`, chosen independently of dates; minute frames built
        on demand, one outlet at a time); gzip level L of the logs. `--cems-outlets`,
        `--minute-share`, `--gzip-level` on the command line. Packets are written column-wise
        (`packets.packet_lines`, byte for byte what the row-wise writer gives).

Clean data for fault injection (physics and serialisation are separate steps)
    clean_truth(seed, start, days, enterprises, *, minute_mns=None, minute_days=2)
        -> (County, Truth)
        `Truth.outlets[mn]` is an `OutletTruth(outlet, hourly, minute)`: polars frames of the
        physical truth of each monitored outlet before serialisation, one row per hour (all
        `days`) and, for the minute outlets (`minute_outlets(county)`: a coal boiler and a brick
        kiln by default), one row per minute for the first `minute_days` days. Columns:
        mn, time (period start, local), load_frac, state (running|stopped), transmitted (False:
        no packet is sent for that row), flag (flag of the flue-gas parameters: N or F),
        valid_minutes; flow_m3_s, o2_pct, temp_c, pressure_kpa, humidity_pct, velocity_m_s each
        with _min/_max; flow_m3 (volume in the period); per pollutant p in outlet.pollutants
        (pm, so2, nox, nmhc, nh3): p_mg_m3 (measured, standard dry) with _min/_max,
        p_zs_mg_m3 (converted to outlet.reference_o2; null without one) with _min/_max,
        p_kg (mass in the period), p_flag (HJ 212-2017 flag N/F/M/C).
        `Truth.events` lists the deliberate events (shutdowns, calibrations, maintenance,
        outages, exceedances, a high-but-legal day).
    frame_packets(frame, outlet, cn="2061"|"2051") -> iterator of (send_time, packet line)
        Serialises any such frame (edited or not) to HJ 212 lines ending in \\r\\n; it
        recomputes nothing, so injected inconsistencies survive.
    write_cems(out_dir, county, truth, seed, *, realism=True) -> CemsResult
        Writes cems/<township>/<mn>_<yyyymm>.log.gz from a (possibly edited) Truth.
    generate(..., truth_hook=f) runs f(county, truth) -> truth between the two steps.

Identifiers
    dagster_project.feeds.uscc: uscc_check_char, is_valid_uscc, make_uscc (GB 32100-2015).
"""

from __future__ import annotations

from dagster_project.generator.cems import CemsResult, CorruptLine, write_cems
from dagster_project.generator.core import GenerationSummary, clean_truth, generate
from dagster_project.generator.county import County, Enterprise, Outlet, Unit, build_county
from dagster_project.generator.packets import frame_packets
from dagster_project.generator.physics import Event, OutletTruth, Truth, minute_outlets, simulate

__all__ = [
    "CemsResult",
    "CorruptLine",
    "County",
    "Enterprise",
    "Event",
    "GenerationSummary",
    "Outlet",
    "OutletTruth",
    "Truth",
    "Unit",
    "build_county",
    "clean_truth",
    "frame_packets",
    "generate",
    "minute_outlets",
    "simulate",
    "write_cems",
]
