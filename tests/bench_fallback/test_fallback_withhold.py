"""Withholding CEMS: half the outlets, chosen by seed; their packets before the cut-off dropped
by content from any log layout; everything else copied unchanged."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

from fallback.withhold import choose_outlets, copy_withholding

from dagster_project.hj212.writer import packet

CUT = datetime(2023, 7, 1)


def _line(mn: str, when: datetime) -> str:
    items = [("a21026", {"Avg": "1.000", "Flag": "N"})]
    return packet(
        qn=f"{when:%Y%m%d%H%M%S}000", st="31", cn="2061", mn=mn, data_time=when, items=items
    )


def _heartbeat(mn: str, when: datetime) -> str:
    return packet(qn=f"{when:%Y%m%d%H%M%S}000", st="31", cn="9021", mn=mn, data_time=None, items=[])


def test_choice_is_half_deterministic_and_order_free() -> None:
    mns = [f"MN{i:02d}" for i in range(9)]
    a = choose_outlets(mns, 7)
    assert len(a) == 4 and set(a) <= set(mns)
    assert choose_outlets(list(reversed(mns)) + mns[:2], 7) == a
    assert any(choose_outlets(mns, s) != a for s in range(8, 12))


def test_packets_dropped_by_content_before_the_cut(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "cems" / "town").mkdir(parents=True)
    (src / "registry").mkdir()
    (src / "registry" / "outlets.csv").write_text("enterprise_id,outlet_id,mn\n")
    june, july = datetime(2023, 6, 30, 23), datetime(2023, 7, 1, 0)
    mixed = [_line("A", june), _line("B", june), _heartbeat("A", june), _line("A", july)]
    with gzip.open(src / "cems" / "town" / "202306.log.gz", "wt", newline="") as fh:
        fh.write("".join(mixed))
    (src / "cems" / "only_a.txt").write_text(_line("A", june), newline="")
    (src / "cems" / "only_b.txt").write_text(_line("B", june), newline="")

    w = copy_withholding(src, dst, ["A"], CUT)

    kept = gzip.decompress((dst / "cems" / "town" / "202306.log.gz").read_bytes()).decode()
    assert kept == _line("B", june) + _line("A", july)
    assert not (dst / "cems" / "only_a.txt").exists()
    assert (dst / "cems" / "only_b.txt").read_bytes() == (src / "cems" / "only_b.txt").read_bytes()
    assert (dst / "registry" / "outlets.csv").read_text() == "enterprise_id,outlet_id,mn\n"
    assert (w.lines_dropped, w.files_removed, w.files_rewritten, w.lines_kept) == (3, 1, 1, 3)
    # the source is untouched
    assert len(gzip.decompress((src / "cems" / "town" / "202306.log.gz").read_bytes())) > len(kept)
