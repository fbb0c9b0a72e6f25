"""Detector thresholds: one TOML file, documented in place (thresholds.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

THRESHOLDS_PATH = Path(__file__).with_name("thresholds.toml")

Config = dict[str, Any]


def load_config(
    path: Path | None = None, overrides: dict[str, dict[str, Any]] | None = None
) -> Config:
    """Read the thresholds; `overrides` replaces single keys per section (benchmark tuning)."""
    with open(path or THRESHOLDS_PATH, "rb") as fh:
        cfg: Config = tomllib.load(fh)
    for section, values in (overrides or {}).items():
        cfg.setdefault(section, {}).update(values)
    return cfg
