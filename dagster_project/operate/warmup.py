"""Import the libraries a build's later steps need while it waits on something else.

A build runs its steps one after another in one process (`in_process_executor`). While dbt runs
in its own process, the build's process only reads dbt's events; the steps after dbt then
import great-expectations (~5 s), the detectors (numpy/scipy/polars code, ~2 s) and the
reports. `warm` imports them in a background thread during that wait, so each step finds its
modules loaded. An import that fails here is left for the step that needs it, which imports the
module again and reports the error where it belongs.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable

# what the steps after dbt import when they start (quality/gx_runner.py, detectors, reports)
AFTER_DBT = ("great_expectations", "dagster_project.detectors", "dagster_project.reports")


def warm(modules: Iterable[str] = AFTER_DBT) -> threading.Thread:
    """Import `modules` in a daemon thread, in order; returns the thread (started)."""
    names = tuple(modules)

    def run() -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # the step that imports it again reports the error
                continue

    thread = threading.Thread(target=run, name="lantian-warm-imports", daemon=True)
    thread.start()
    return thread
