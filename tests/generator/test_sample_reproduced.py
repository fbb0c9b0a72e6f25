"""`lantian generate` with the documented defaults reproduces the committed sample byte for byte."""

from __future__ import annotations

from pathlib import Path

from dagster_project.cli import main
from tests.conftest import SAMPLE_SOURCES


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_generate_with_the_defaults_gives_the_committed_sources(tmp_path: Path) -> None:
    assert main(["generate", "--out", str(tmp_path / "sources")]) == 0
    regenerated, committed = _files(tmp_path / "sources"), _files(SAMPLE_SOURCES)
    assert sorted(regenerated) == sorted(committed)
    assert [name for name in sorted(committed) if regenerated[name] != committed[name]] == []
