"""Counties placed apart in the province: a generated county other than Mengzhou has its own
ambient station codes, townships, dust-fall points and key roads, and lies a county-width away,
so several generated counties share one provincial lake without sharing a key or a neighbour."""

from __future__ import annotations

import csv
import math
from itertools import combinations
from pathlib import Path

import pytest

from dagster_project.cli import main as cli_main
from dagster_project.generator.ambient import ROADS, dustfall_rows, stations
from dagster_project.generator.county import MENGZHOU, TOWNSHIP_CENTRES, Place, build_county
from dagster_project.generator.ledgers import write_registry

HOTSPOT_NEIGHBOUR_KM = 15  # dbt var hotspot_neighbour_km
CODES = (MENGZHOU, "410801", "410802", "410806", "410810")


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def test_mengzhou_keeps_the_sample_codes_and_places() -> None:
    sts = stations()
    assert [s.code for s in sts[:3]] == ["410883001", "410883002", "410883101"]
    assert (sts[0].longitude, sts[0].latitude) == (112.8003, 34.9071)
    assert Place().name("大定街道") == "大定街道"


def test_each_county_has_its_own_station_codes_townships_points_and_roads() -> None:
    seen: dict[str, set[str]] = {"station": set(), "township": set(), "point": set(), "road": set()}
    for code in CODES:
        county = build_county(7, 6, Place(code))
        keys = {
            "station": {s.code for s in stations(county.place)},
            "township": {county.place.name(t) for t in TOWNSHIP_CENTRES},
            "point": {r["point_code"] for r in dustfall_rows(county, 2023, 7)},
            "road": {county.place.name(r[0]) for r in ROADS},
        }
        assert all(s.startswith(code) for s in keys["station"])
        for kind, values in keys.items():
            assert not values & seen[kind], (code, kind)
            seen[kind] |= values


def test_counties_lie_further_apart_than_a_hotspot_neighbourhood() -> None:
    places = {code: stations(Place(code)) for code in CODES}
    for a, b in combinations(CODES, 2):
        nearest = min(
            _km((s.longitude, s.latitude), (t.longitude, t.latitude))
            for s in places[a]
            for t in places[b]
        )
        assert nearest > HOTSPOT_NEIGHBOUR_KM, (a, b, nearest)


def test_registry_spells_townships_and_places_enterprises_at_the_county(tmp_path: Path) -> None:
    home, moved = build_county(7, 6), build_county(7, 6, Place("410801"))
    write_registry(tmp_path, moved)
    with open(tmp_path / "registry" / "enterprises.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["township"] for r in rows} <= {f"410801{t}" for t in TOWNSHIP_CENTRES}
    dlon, dlat = Place("410801").offset
    for e, r in zip(home.enterprises, rows, strict=True):
        assert float(r["longitude"]) == pytest.approx(e.longitude + dlon, abs=1e-6)
        assert float(r["latitude"]) == pytest.approx(e.latitude + dlat, abs=1e-6)


def test_a_county_code_must_be_six_digits() -> None:
    with pytest.raises(ValueError, match="six digits"):
        Place("4108")


def test_lantian_generate_places_the_county(tmp_path: Path) -> None:
    args = ["generate", "--out", str(tmp_path), "--days", "1", "--enterprises", "2"]
    assert cli_main([*args, "--county-code", "410801"]) == 0
    with open(tmp_path / "ambient" / "stations.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 13
    assert all(r["station_code"].startswith("410801") for r in rows)
    assert all(r["township"].startswith("410801") for r in rows)
