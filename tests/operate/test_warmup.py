"""Imports warmed in the background while dbt runs."""

from __future__ import annotations

import sys

from dagster_project.operate import warmup


def test_modules_are_imported_in_a_background_thread_and_failures_left_to_the_step() -> None:
    assert "colorsys" not in sys.modules  # a standard module nothing here imports
    thread = warmup.warm(["lantian_no_such_module", "colorsys"])
    thread.join(30)
    assert not thread.is_alive()
    assert "colorsys" in sys.modules  # the failing import before it did not stop it
    assert "lantian_no_such_module" not in sys.modules
