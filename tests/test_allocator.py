"""Allocator tuning: applied at package import, before polars loads, and can be switched off."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dagster_project import allocator


def _in_fresh_python(code: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in ("_RJEM_MALLOC_CONF",)}
    out = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


REPORT = (
    "import json, os, dagster_project as d, polars; "
    "print(json.dumps({'tuned': d.ALLOCATOR_TUNED, 'conf': os.environ.get('_RJEM_MALLOC_CONF')}))"
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and jemalloc: Linux")
def test_importing_the_package_tunes_both_allocators_before_polars_loads() -> None:
    got = _in_fresh_python(REPORT)
    assert got["tuned"] == {"jemalloc": True, "glibc": True}
    # polars puts its defaults first and appends ours; jemalloc lets the last setting win
    assert got["conf"].endswith("," + allocator.JEMALLOC_CONF)


def test_polars_loaded_first_leaves_jemalloc_alone() -> None:
    got = _in_fresh_python("import polars; " + REPORT)
    assert got["tuned"]["jemalloc"] is False
    assert allocator.JEMALLOC_CONF not in got["conf"]  # polars' own defaults only


def test_an_explicit_setting_wins() -> None:
    got = _in_fresh_python(REPORT, _RJEM_MALLOC_CONF="narenas:1")
    assert got["conf"].endswith(",narenas:1") and got["tuned"]["jemalloc"] is False
    off = _in_fresh_python(REPORT, LANTIAN_DEFAULT_ALLOCATOR="1")
    assert off["tuned"] == {"jemalloc": False, "glibc": False}
    assert allocator.JEMALLOC_CONF not in off["conf"]
