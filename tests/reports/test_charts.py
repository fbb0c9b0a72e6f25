"""The report charts: SVG whose Chinese text the reader's browser draws, made without flooding the
build log where the build machine lacks the CJK font (matplotlib warns once per font lookup)."""

from __future__ import annotations

import subprocess
import sys

CHART = """
import logging, sys
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
from dagster_project.reports.charts import histogram
svg = histogram([1.0, 2.0, 2.5, 3.0], "折算浓度 (mg/m³)", line=(2.2, "排放限值"))
sys.stdout.write(svg)
"""


def test_a_chart_names_the_cjk_family_and_logs_no_font_lookup() -> None:
    # a fresh process: matplotlib caches its font lookups, so an earlier chart would hide them
    done = subprocess.run(
        [sys.executable, "-c", CHART], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.startswith("<svg")
    assert "折算浓度" in done.stdout and "排放限值" in done.stdout
    assert "Noto Sans CJK SC" in done.stdout  # the reader's browser picks the family
    assert "findfont" not in done.stderr, done.stderr[:500]
