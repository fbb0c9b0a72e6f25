"""Imports warmed in the background while dbt runs."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_project.operate import warmup


def test_modules_are_imported_in_a_background_thread_and_failures_left_to_the_step(
    tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "lantian_warm_probe.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lantian_warm_probe", raising=False)
    thread = warmup.warm(["lantian_no_such_module", "lantian_warm_probe"])
    thread.join(30)
    assert not thread.is_alive()
    assert sys.modules["lantian_warm_probe"].LOADED  # the failing import before it did not stop it
    assert "lantian_no_such_module" not in sys.modules
    monkeypatch.delitem(sys.modules, "lantian_warm_probe")
