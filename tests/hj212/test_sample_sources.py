"""The embedded sample's CEMS logs: the deliberately corrupted lines listed in
sources/README.md are exactly the rejects, and every other record loads (slow: ~25k packets)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dagster_project.hj212.landed import landed_logs
from dagster_project.hj212.parse import parse_files

SOURCES = Path(__file__).resolve().parents[2] / "sources"


def _listed_corruptions(readme: str) -> set[tuple[str, int, str]]:
    section = readme.split("### Deliberately corrupted CEMS lines", 1)[1].split("###", 1)[0]
    rows = re.findall(r"\|\s*`([^`]+)`\s*\|\s*(\d+)\s*\|\s*(\w+)\s*\|", section)
    return {(f, int(n), reason) for f, n, reason in rows}


@pytest.mark.slow
@pytest.mark.skipif(not (SOURCES / "cems").is_dir(), reason="no generated sources/ here")
def test_sample_cems_rejects_are_exactly_the_listed_corruptions() -> None:
    expected = _listed_corruptions((SOURCES / "README.md").read_text(encoding="utf-8"))
    logs = landed_logs(SOURCES / "cems", SOURCES).values()
    result = parse_files([Path(log.path) for log in logs], root=SOURCES)
    got = set(result.rejects.select("source_file", "line_no", "reason").iter_rows())
    assert expected and got == expected
    c = result.counts
    assert c["packets_valid"] + c["rejected"] == c["lines_read"]
    assert c["events"] > 0 and set(result.events["event_type"]) <= {"heartbeat", "logger_restart"}
