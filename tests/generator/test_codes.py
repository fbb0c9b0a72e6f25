"""The legacy (HJ/T 212-2005) logger must send codes the parser maps to the same pollutant."""

from __future__ import annotations

from dagster_project.generator.county import POLLUTANT_CODES, POLLUTANT_CODES_2005
from dagster_project.hj212.codes import CODE_2005_TO_2017


def test_every_legacy_code_reads_back_as_the_2017_pollutant() -> None:
    assert POLLUTANT_CODES_2005.keys() == POLLUTANT_CODES.keys()
    for name, code in POLLUTANT_CODES_2005.items():
        assert CODE_2005_TO_2017.get(code, code) == POLLUTANT_CODES[name], name
