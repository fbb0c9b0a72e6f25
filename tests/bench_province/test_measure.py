"""The province benchmark's measurement: wall time, CPU and peak memory of a whole process tree."""

from __future__ import annotations

import os
import sys

import pytest

from benchmarks.bench_province import measure


def test_peak_memory_counts_the_children_of_the_process() -> None:
    # the parent stays small; its child holds ~200 MB for a second
    child = "x = bytearray(200 * 1024 * 1024); import time; time.sleep(1.0)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    run = measure("tree", [sys.executable, "-c", parent], dict(os.environ))
    assert run.peak_mb >= 200
    assert run.seconds >= 1.0


def test_cpu_seconds_count_the_children_of_the_process() -> None:
    # the parent sleeps; its child burns about a second of CPU
    child = "import time; t = time.process_time()\nwhile time.process_time() - t < 1.0: pass"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    run = measure("tree", [sys.executable, "-c", parent], dict(os.environ), cwd="/")
    assert run.cpu_s >= 0.9


def test_a_failing_command_stops_the_benchmark() -> None:
    with pytest.raises(SystemExit, match="failed"):
        measure("broken", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))
