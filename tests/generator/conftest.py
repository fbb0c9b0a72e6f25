"""A small generated county shared by the generator tests (3 days, 30 enterprises)."""

from __future__ import annotations

import pytest

from dagster_project.generator import GenerationSummary, generate

from ._support import SMALL


@pytest.fixture(scope="session")
def small_county(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    return generate(tmp_path_factory.mktemp("county"), **SMALL)
