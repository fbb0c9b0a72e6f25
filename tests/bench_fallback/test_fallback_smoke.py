"""The fallback benchmark end to end on a tiny county (the second world, six days across the
June/July cut-off): both builds through `lantian build`, the report and its record. The full
benchmark (county-years) is not part of the test suite."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import duckdb
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_inventory_fallback.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_inventory_fallback", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    return bench


def test_generator_world_is_written_by_the_project_generator(tmp_path: Path) -> None:
    bench = _load_bench()
    args = bench.build_parser().parse_args(["--days", "2", "--enterprises", "6"])
    how, lines = bench.produce(bench.parse_world("generator:5"), tmp_path / "src", args)
    assert how.startswith("lantian generate --seed 5")
    assert (tmp_path / "src" / "registry" / "outlets.csv").exists()
    assert any((tmp_path / "src" / "cems").rglob("*.log*")) and "with CEMS" in lines[0]


def test_worlds_parse() -> None:
    bench = _load_bench()
    assert bench.parse_world("other:11").name == "other-11"
    with pytest.raises(Exception, match="generator:SEED"):
        bench.parse_world("elsewhere:3")


@pytest.mark.slow  # two whole builds (~2.5 min on 2 cores): make test-slow
def test_tiny_county_end_to_end(tmp_path: Path) -> None:
    bench = _load_bench()
    results = tmp_path / "results.txt"
    argv = ["--worlds", "other:11", "--start", "2023-06-28", "--days", "6"]
    argv += ["--withhold-before", "2023-07-01", "--work", str(tmp_path / "work")]
    argv += ["--record", "--results", str(results)]
    assert bench.main(argv) == 0
    text = results.read_text(encoding="utf-8")
    wdir = tmp_path / "work" / "other-11"
    # both builds ran and were measured
    assert "build full" in text and "build withheld" in text and "peak RSS" in text
    withheld = text.split("withheld MNs: ")[1].split("\n")[0].split()
    assert len(withheld) == 19 // 2
    # the withheld build has none of their June packets, the full build has them
    sql = (
        "select count(*) from raw.cems_values where mn in ({}) and data_time < '2023-07-01'"
    ).format(",".join(f"'{m}'" for m in withheld))
    counts = []
    for db in ("full.duckdb", "withheld.duckdb"):
        con = duckdb.connect(str(wdir / db), read_only=True)
        counts.append(con.execute(sql).fetchone()[0])
        con.close()
    assert counts[0] > 0 and counts[1] == 0
    # the report: one row per withheld pollutant, methods, county totals, closure, physics
    for needle in (
        "\nso2 ",
        "\nnox ",
        "\npm ",
        "methods behind the estimates",
        "county totals (t) per pollutant and method",
        "VOC emitted > VOC bought",
        "SO2 > 2 x sulfur input",
        "producing unit-months without an estimate",
        "world physics vs the full build's CEMS",
    ):
        assert needle in text, needle
