"""County-years at scale: sizing by CEMS outlets, minute data for a share of them, and the
column-wise packet writer that makes tens of millions of minute packets affordable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from dagster_project.generator import clean_truth, generate
from dagster_project.generator.county import build_county, enterprises_for
from dagster_project.generator.packets import packet_lines, row_items, send_time
from dagster_project.generator.physics import minute_outlets_share, simulate
from dagster_project.hj212.writer import packet

from ._support import read_log


def test_packet_lines_equal_the_one_at_a_time_writer() -> None:
    _county, truth = clean_truth(seed=11, start=date(2023, 11, 14), days=1, enterprises=40)
    legacy = [ot for ot in truth.outlets.values() if ot.outlet.protocol == "2005"]
    with_ref = [ot for ot in truth.outlets.values() if ot.outlet.reference_o2 is not None]
    assert legacy and with_ref
    for ot in (legacy[0], with_ref[0]):
        frame = ot.hourly.with_columns(  # an edited frame: a missing value, a null converted one
            pl.when(pl.int_range(pl.len()) == 3)
            .then(None)
            .otherwise(pl.col("flow_m3_s"))
            .alias("flow_m3_s"),
        )
        p = ot.outlet.pollutants[0]
        if ot.outlet.reference_o2 is not None:
            frame = frame.with_columns(
                pl.when(pl.int_range(pl.len()) == 5)
                .then(None)
                .otherwise(pl.col(f"{p}_zs_mg_m3"))
                .alias(f"{p}_zs_mg_m3")
            )
        got = packet_lines(frame, ot.outlet, "2061")
        expected = []
        for row in frame.filter(pl.col("transmitted")).iter_rows(named=True):
            sent = send_time(ot.outlet.mn, row["time"], "2061")
            line = packet(
                qn=f"{sent:%Y%m%d%H%M%S}{sent.microsecond // 1000:03d}",
                st="31",
                cn="2061",
                mn=ot.outlet.mn,
                flag=0 if ot.outlet.protocol == "2005" else 4,
                data_time=row["time"],
                items=row_items(row, ot.outlet, "2061"),
            )
            if ot.outlet.protocol == "2005":
                line = line[:-6] + line[-6:-2].lower() + "\r\n"
            expected.append(line)
        assert got.get_column("line").to_list() == expected


def test_cems_outlets_size_the_county() -> None:
    n = enterprises_for(2023, 40)
    assert len(build_county(2023, n).monitored_outlets) >= 40
    assert len(build_county(2023, n - 1).monitored_outlets) < 40


def test_minute_share_sends_minutes_every_day_and_lazy_frames_match(tmp_path: Path) -> None:
    county = build_county(2023, 30)
    mns = minute_outlets_share(county, 0.5, 2023)
    assert len(mns) == round(0.5 * len(county.monitored_outlets))
    assert mns == minute_outlets_share(build_county(2023, 30), 0.5, 2023)  # dates play no part
    eager = simulate(county, date(2023, 3, 1), 2, 2023, minute_mns=mns[:1], minute_days=2)
    lazy = simulate(
        county, date(2023, 3, 1), 2, 2023, minute_mns=mns[:1], minute_days=2, lazy_minutes=True
    )
    ot_eager, ot_lazy = eager.outlets[mns[0]], lazy.outlets[mns[0]]
    assert ot_lazy.minute is None and ot_lazy.has_minutes
    assert_frame_equal(ot_eager.minute_frame(), ot_lazy.minute_frame())

    s = generate(
        tmp_path, start=date(2023, 3, 1), days=2, cems_outlets=12, minute_share=0.5, gzip_level=1
    )
    assert s.monitored_outlets >= 12 and s.minute_packets > 0
    minute_logs = {
        rel
        for rel in s.files
        if rel.startswith("cems/") and any(";CN=2051;" in line for line in read_log(tmp_path / rel))
    }
    assert len(minute_logs) == round(0.5 * s.monitored_outlets)
    for rel in minute_logs:  # every minute of both days
        lines = read_log(tmp_path / rel)
        assert sum(";CN=2051;" in line for line in lines) >= 2 * 1440 - 6 * 60
    assert "Minute data from 50% of the CEMS outlets" in (tmp_path / "README.md").read_text()


def test_column_wise_numbers_never_print_a_negative_zero() -> None:
    from dagster_project.generator.packets import _f, _text

    values = [-0.0001, -0.0, 0.0004, -0.0005, -0.0006, -1.5, None]
    rows = pl.DataFrame({"v": values}, schema={"v": pl.Float64})
    got = rows.select(_text(rows, "v", 3)).to_series().to_list()
    assert got == [_f(v, 3) for v in values]
    assert not any(t.startswith("-0.000") for t in got)
