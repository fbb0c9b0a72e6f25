"""The ambient feeds: the plan's stations, hour-ending times, the six-pollutant upgrade and the
documented events are in the files."""

from __future__ import annotations

import csv
import io

from dagster_project.generator import GenerationSummary
from dagster_project.generator.ambient import SECOND_BATCH_SINCE


def _rows(path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gbk")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_plan_stations_and_hourly_window(small_county: GenerationSummary) -> None:
    out = small_county.out_dir / "ambient"
    stations = _rows(out / "stations.csv")
    names = {r["station_name"] for r in stations}
    assert {"市政府", "国土资源局"} <= names
    assert sum(r["station_type"] == "township" for r in stations) == 11
    hourly = _rows(out / "hourly" / "air_hourly_202311.csv")
    times = sorted({r["时间"] for r in hourly})
    # 3 days from 2023-11-13, hour-ending: 01:00 of the first day … 00:00 after the last
    assert times[0] == "2023-11-13 01:00" and times[-1] == "2023-11-16 00:00"
    assert len(times) == 72
    assert len(hourly) == 13 * 72 + len(small_county.ambient_duplicates)


def test_daily_covers_the_rest_of_the_year_and_the_upgrade(
    small_county: GenerationSummary,
) -> None:
    daily = _rows(small_county.out_dir / "ambient" / "daily" / "air_daily_2023.csv")
    days = {r["日期"] for r in daily}
    assert len(days) == 365 - 3 and "2023-11-14" not in days
    stations = {
        r["station_code"]: r for r in _rows(small_county.out_dir / "ambient" / "stations.csv")
    }
    late = {c for c, r in stations.items() if r["six_pollutant_since"] == str(SECOND_BATCH_SINCE)}
    assert len(late) == 3
    for r in daily:
        before = r["日期"] < str(SECOND_BATCH_SINCE)
        if r["站点编码"] in late and before:
            assert r["SO2(µg/m³)"] == "" and r["PM2.5(µg/m³)"] != ""
    dust = _rows(small_county.out_dir / "ambient" / "dustfall" / "dustfall_2023.csv")
    assert len(dust) == 11 * 2 * 12
    assert any(r["降尘量(吨/平方公里·月)"] == "/" for r in dust)


def test_ambient_events_are_in_the_readme(small_county: GenerationSummary) -> None:
    readme = (small_county.out_dir / "README.md").read_text(encoding="utf-8")
    assert "### Events in the ambient data" in readme
    assert any(
        e.station.endswith("市政府") and e.pollutant == "so2" for e in small_county.ambient_events
    )
