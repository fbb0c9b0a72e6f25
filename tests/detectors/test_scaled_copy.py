"""Another outlet's values written over one's own (D24, a borrowed fingerprint): a stretch of
another device's running values, scaled to this outlet's level, in time order or reversed, is
found on the outlet that holds it (whose values there stop following its own flow, temperature,
O2 and other pollutants), with the source named; the source itself and the clean county are not
reported, and a flat stretch is equal to nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from benchmarks.detector_worlds import world_b
from benchmarks.detector_worlds.world_b import DAYS, START, physics
from dagster_project.detectors import copies
from dagster_project.detectors.config import load_config
from dagster_project.detectors.engine import series_for_frames
from dagster_project.detectors.findings import FindingsBuilder
from dagster_project.detectors.inputs import OUTLET_POLLUTANT_SCHEMA, DetectorInputs

T0 = datetime(START.year, START.month, START.day)
POL = "a21002"  # NOx: every outlet of world B's county measures it


def _county() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Three outlets of world B over its 56 days, no fault."""
    drawn = physics.draw_outlets(302, np.random.default_rng([302, 0xB]))
    chosen = [o for o in drawn if POL in {g.gas.code for g in o.gases}][:3]
    hourly = pl.concat(
        physics.simulate_outlet(o, T0, DAYS, np.random.default_rng(i), [], None, physics.Truth())
        for i, o in enumerate(chosen)
    )
    outlets = pl.DataFrame(
        [r for o in chosen for r in physics.outlet_rows(o)], schema=OUTLET_POLLUTANT_SCHEMA
    )
    return hourly, outlets


def _copy(
    hourly: pl.DataFrame,
    target: str,
    donor: str,
    first: int,
    hours: int,
    reverse: bool,
    decimals: int | None,
) -> pl.DataFrame:
    """The donor's consecutive values at load, scaled to the target's median over the
    stretch, written over the target's normally flagged running hours from grid hour `first`."""
    rows = hourly.with_row_index("i").sort("hour_start")
    tgt = rows.filter((pl.col("mn") == target) & (pl.col("pollutant_code") == POL))
    don = rows.filter((pl.col("mn") == donor) & (pl.col("pollutant_code") == POL))
    part = tgt.slice(first, hours).filter((pl.col("flag") == "N") & (pl.col("flow_m3_s") > 0))
    # a stretch of the donor running at load with nothing but normal flags
    at_load = (
        (don["flag"] == "N") & (don["flow_m3_s"] > 0.5 * don["flow_m3_s"].quantile(0.95))
    ).to_numpy()
    begin = next(i for i in range(24 * 30, don.height) if at_load[i : i + part.height].all())
    src = don["avg_measured"].to_numpy()[begin : begin + part.height]
    src = src[::-1] if reverse else src
    new = src / np.median(src) * float(part["avg_measured"].median())
    if decimals is not None:
        new = np.round(new, decimals)
    measured = hourly["avg_measured"].to_numpy().copy()
    converted = hourly["avg_converted"].to_numpy().copy()
    idx = part["i"].to_numpy()
    converted[idx] = converted[idx] * new / measured[idx]
    measured[idx] = new
    return hourly.with_columns(
        pl.Series("avg_measured", measured), pl.Series("avg_converted", converted)
    )


def _found(hourly: pl.DataFrame, outlets: pl.DataFrame) -> pl.DataFrame:
    cfg = load_config()
    fb = FindingsBuilder("py.scaled_copy")
    copies.scaled_copies(series_for_frames(DetectorInputs(hourly, outlets), cfg), cfg, fb)
    return fb.frame()


@pytest.fixture(scope="module")
def county() -> tuple[pl.DataFrame, pl.DataFrame]:
    return _county()


def test_the_clean_county_holds_no_copy(county) -> None:
    assert _found(*county).height == 0


@pytest.mark.parametrize(("reverse", "decimals"), [(False, None), (True, None), (False, 1)])
def test_a_scaled_copy_is_found_on_the_outlet_that_holds_it(county, reverse, decimals) -> None:
    hourly, outlets = county
    mns = outlets["mn"].unique().sort().to_list()
    target, donor = mns[0], mns[1]
    edited = _copy(hourly, target, donor, 24 * 20, 24 * 6, reverse, decimals)
    found = _found(edited, outlets)
    assert found.height >= 1, "the copy was not found"
    assert set(found["mn"]) == {target}, found.select("mn", "start_time").rows()
    f = found.row(0, named=True)
    assert f["anomaly_type"] == "fingerprint_drift"
    # the stretch written over, give or take the hours around it that were not running
    assert abs(f["start_time"] - (T0 + timedelta(hours=24 * 20))) <= timedelta(hours=6)
    assert f["end_time"] - f["start_time"] >= timedelta(days=4)
    ev = f["evidence"]
    assert f'"source_mn": "{donor}"' in ev
    assert f'"source_reversed": {str(reverse).lower()}' in ev


def test_flat_stretches_are_equal_to_nothing(county) -> None:
    """Two outlets holding the same constant for days have equal changes (none), which says
    nothing: a copy needs changes clear of the rounding."""
    hourly, outlets = county
    mns = outlets["mn"].unique().sort().to_list()
    flat = (
        (pl.col("pollutant_code") == POL)
        & pl.col("mn").is_in(mns[:2])
        & pl.col("hour_start").is_between(
            pl.lit(T0).dt.offset_by("240h"), pl.lit(T0).dt.offset_by("400h")
        )
    )
    edited = hourly.with_columns(
        pl.when(flat).then(pl.lit(50.0)).otherwise(pl.col("avg_measured")).alias("avg_measured")
    )
    assert _found(edited, outlets).height == 0


def test_patterns_read_the_sizes_of_the_changes_a_copy_keeps() -> None:
    """Changes under 1 % are left out of the patterns (a copy's rounding may hide them), so a
    copy whose rounding turned one into none still shares every pattern."""
    rng = np.random.default_rng(5)
    dy = rng.choice([-1, 1], 80) * rng.uniform(0.02, 0.1, 80)
    dy[[10, 30]] = [0.004, -0.002]
    copied = dy.copy()
    copied[[10, 30]] = 0.0  # rounded away in the copy
    code, pos = copies._codes(dy)
    assert code.size == 80 - 2 - copies.K + 1
    assert (code == copies._codes(copied)[0]).all() and (pos == copies._codes(copied)[1]).all()
    big = np.flatnonzero(np.abs(dy) > copies.FLOOR)
    bins = np.floor(dy[big[: copies.K]] / copies.BIN).astype(int) + 32
    assert int(code[0]) == sum(int(b) << (6 * j) for j, b in enumerate(bins))


def test_pieces_a_few_hours_apart_make_one_copy() -> None:
    """A copy and this check may disagree on which hours the plant ran: pieces of equal changes
    on diagonals a change apart, a change or two apart in time, chain into one copy."""
    rng = np.random.default_rng(9)
    src = np.cumsum(rng.normal(0, 0.08, 400))
    # the copy: the source's log values from 100 on, one value skipped every 12
    taken = np.array([i for i in range(100, 300) if i % 12])
    tgt = np.concatenate([rng.normal(0, 0.3, 50).cumsum(), src[taken] + 1.7])
    ea, eb = np.full(tgt.size - 1, 1e-9), np.full(src.size - 1, 1e-9)  # no rounding
    da, db = np.diff(tgt), np.diff(src)
    first = copies._pieces(da, ea, db, eb, 100 - 50, 50, 70)
    assert first and first[0].i0 == 50
    chain = [first[0], *copies._follow(da, ea, db, eb, first[0], True)]
    assert sum(p.i1 - p.i0 for p in chain) >= 150
    assert len(copies._chains(chain)) == 1


def test_pieces_read_no_change_before_the_first() -> None:
    """A window reaching before a series' start reads from its first change (a negative
    position would wrap around to its end)."""
    rng = np.random.default_rng(2)
    da = rng.normal(0, 0.05, 8)
    db = np.concatenate([da[-6:], rng.normal(0, 0.05, 10)])  # equal to a's end, read wrapped
    ea, eb = np.full(da.size, 1e-9), np.full(db.size, 1e-9)
    assert copies._pieces(da, ea, db, eb, 6, -8, 8) == []


def test_a_copy_found_from_both_sides_is_reported_once() -> None:
    """A copy is found from each of its two outlets (each as the copy of the other) over
    extents that need not agree; judged each on its own extent, each side could excuse itself
    by the other's larger drop of coupling and the copy go unreported. Judged as one event, it is
    reported once, on one of them. World B's seed 923 holds such a copy: 8.5 days of NOx of
    B0923014 written over B0923016."""
    w = world_b.build(923)
    pair = ["B0923014", "B0923016"]
    found = _found(
        w.injected.filter(pl.col("mn").is_in(pair)), w.outlets.filter(pl.col("mn").is_in(pair))
    )
    copied = found.filter(pl.col("pollutant_code") == POL)
    assert copied.height == 1, found.select("mn", "start_time", "end_time").rows()
    assert copied["mn"][0] in pair
