"""The benchmark's generator writes valid distinct packets that all parse (slow: a few MB)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from dagster_project.hj212.parse import parse_files

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_hj212_parse.py"


@pytest.mark.slow
def test_benchmark_packets_parse_and_duckdb_baseline_reads_them(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_hj212_parse", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path / "bench.log"
    bench.generate(2000, path)
    result = parse_files([path])
    assert result.counts["packets_valid"] == 2000 and result.rejects.height == 0
    assert result.counts["duplicates_resolved"] == 0
    seconds, rows = bench.duckdb_raw_lines(path)
    assert rows == 2000 and seconds > 0
