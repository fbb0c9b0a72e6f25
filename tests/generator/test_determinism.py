from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dagster_project.generator import GenerationSummary, generate

from ._support import SMALL


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_identical_bytes(small_county: GenerationSummary, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", **SMALL)
    first, second = _tree(small_county.out_dir), _tree(again.out_dir)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    assert again.files == small_county.files


def test_other_seed_differs(small_county: GenerationSummary, tmp_path: Path) -> None:
    other = generate(tmp_path / "other", **{**SMALL, "seed": 99})
    a, b = _tree(small_county.out_dir), _tree(other.out_dir)
    assert a["registry/enterprises.csv"] != b["registry/enterprises.csv"]
    assert a["registry/outlets.csv"] != b["registry/outlets.csv"]


def test_regenerating_removes_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "county"
    stale = out / "cems" / "old" / "stale.log"
    stale.parent.mkdir(parents=True)
    stale.write_text("x")
    s = generate(out, **{**SMALL, "enterprises": 12, "days": 1})
    assert not stale.exists()
    assert (out / "README.md").exists()
    assert all((out / rel).exists() for rel in s.files)
    assert replace(s).enterprises == 12
