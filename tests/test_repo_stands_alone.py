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


# Folders of the machines the project was built on; assembled from segments so that this file
# names no machine path itself and is scanned like every other.
MACHINE_FOLDERS = (("work",), ("shared", "reference"), ("shared", "samples"), ("shared", "seed"))


def test_no_absolute_machine_paths_in_tracked_files() -> None:
    pattern = re.compile("|".join(re.escape("/" + "/".join(f) + "/") for f in MACHINE_FOLDERS))
    offenders = [
        name
        for name in _tracked_text_files()
        if pattern.search((REPO / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []


def test_no_tracked_link_points_outside_the_repository() -> None:
    """A symbolic link is tracked by its target text: an absolute one names a machine's folder,
    one that climbs out of the checkout breaks on every other machine."""
    listed = subprocess.run(
        ["git", "ls-files", "-s"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    links = [line.split("\t", 1)[1] for line in listed if line.startswith("120000 ")]
    offenders = [
        name
        for name in links
        if not (REPO / name).resolve().is_relative_to(REPO.resolve())
        or (REPO / name).readlink().is_absolute()
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
