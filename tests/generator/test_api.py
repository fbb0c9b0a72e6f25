"""The clean-data API used by the fault injector, and the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from dagster_project.generator import clean_truth, frame_packets, generate, minute_outlets
from dagster_project.generator.__main__ import main

from ._support import crc_ok, parse


def test_clean_truth_frames_cover_every_monitored_outlet() -> None:
    county, truth = clean_truth(seed=5, start=date(2023, 11, 14), days=2, enterprises=20)
    assert set(truth.outlets) == {o.mn for o in county.monitored_outlets}
    minute = set(minute_outlets(county))
    assert minute
    for mn, ot in truth.outlets.items():
        assert ot.hourly.height == 48
        assert ot.hourly["time"].is_sorted()
        for p in ot.outlet.pollutants:
            assert {f"{p}_mg_m3", f"{p}_zs_mg_m3", f"{p}_kg", f"{p}_flag"} <= set(ot.hourly.columns)
        if mn in minute:
            assert ot.minute is not None and ot.minute.height == 2 * 1440
            assert ot.minute.columns == ot.hourly.columns
        else:
            assert ot.minute is None
    # staggered production and the heating season switch on 15 November
    stopped = pl.concat(
        [ot.hourly.select("state", "o2_pct") for ot in truth.outlets.values()]
    ).filter(pl.col("state") == "stopped")
    assert stopped.height > 0 and (stopped["o2_pct"] > 20.8).all()


def test_serialiser_writes_edited_frames_verbatim() -> None:
    _county, truth = clean_truth(seed=5, start=date(2023, 11, 14), days=1, enterprises=20)
    ot = next(
        o
        for o in truth.outlets.values()
        if o.outlet.protocol == "2017" and "so2" in o.outlet.pollutants
    )
    edited = ot.hourly.with_columns(
        pl.lit(12.345).alias("so2_mg_m3"), pl.lit(False).alias("transmitted")
    )
    edited = edited.with_columns(
        pl.when(pl.int_range(pl.len()) < 5).then(True).otherwise(False).alias("transmitted")
    )
    lines = [line for _t, line in frame_packets(edited, ot.outlet, "2061")]
    assert len(lines) == 5
    for line in lines:
        assert crc_ok(line)
        _h, items = parse(line)
        assert items["a21026"]["Avg"] == "12.345"


def test_truth_hook_runs_between_physics_and_packets(tmp_path: Path) -> None:
    seen = []

    def hook(county, truth):
        seen.append(len(truth.outlets))
        return truth

    s = generate(tmp_path, seed=3, start=date(2023, 11, 1), days=1, enterprises=8, truth_hook=hook)
    assert seen == [s.monitored_outlets]


def test_cli(tmp_path: Path, capsys) -> None:
    assert (
        main(
            [
                "--out",
                str(tmp_path),
                "--seed",
                "4",
                "--start",
                "2023-11-20",
                "--days",
                "1",
                "--enterprises",
                "6",
            ]
        )
        == 0
    )
    assert "6 enterprises" in capsys.readouterr().out
    assert (tmp_path / "registry" / "enterprises.csv").read_text(encoding="utf-8").count("\n") == 7
    assert any((tmp_path / "cems").rglob("*.log*"))


def test_tiny_counties_generate(tmp_path: Path) -> None:
    for n in (1, 2, 5):
        s = generate(tmp_path / str(n), seed=1, start=date(2023, 11, 1), days=1, enterprises=n)
        assert s.enterprises == n and s.hourly_packets > 0
