"""The repository stands alone: no citation points outside it, and what the code cites is here."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO

TEXT_SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".sql", ".json", ".txt", ".csv", ""}


def _tracked_text_files() -> list[str]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return [n for n in names if (REPO / n).suffix in TEXT_SUFFIXES and (REPO / n).is_file()]


def test_no_absolute_machine_paths_in_tracked_files() -> None:
    pattern = re.compile(r"/work/|/shared/(reference|samples|seed)/")
    offenders = [
        name
        for name in _tracked_text_files()
        if name != "tests/test_repo_stands_alone.py"  # the pattern itself
        and pattern.search((REPO / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []


def test_cited_reference_notes_are_in_the_repo() -> None:
    reference = REPO / "docs" / "reference"
    for name in (
        "hj212-notes.md",
        "falsification-notes.md",
        "inventory-notes.md",
        "ef_seed.csv",
        "samples/hj212-public-samples.txt",
    ):
        assert (reference / name).is_file(), name
    assert not (REPO / "docs" / "TEAM_BRIEF.md").exists()
