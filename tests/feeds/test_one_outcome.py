"""One record, one outcome: random ledger CSVs, every physical line accounted for once."""

from __future__ import annotations

from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.feeds.contracts import BOILERS
from dagster_project.feeds.ingest import ingest_feed

from .ledger_files import ENTERPRISES

HEADER = "统一社会信用代码,锅炉编号,燃料类型,额定蒸发量(t/h),运行状态"
# kind -> (text of the line(s) for unit n, physical lines, outcome: loaded, rejected or blank)
KINDS = {
    "good": (lambda n: f"{ENTERPRISES[0]},U{n},燃气,4,in_use", 1, "loaded"),
    "bad_value": (lambda n: f"{ENTERPRISES[0]},U{n},燃气,四,in_use", 1, "rejected"),
    "short": (lambda n: f"{ENTERPRISES[0]},U{n},燃气", 1, "rejected"),
    "long": (lambda n: f"{ENTERPRISES[0]},U{n},燃气,4,in_use,surplus", 1, "rejected"),
    "comment": (lambda n: f"# exported {n}", 1, "rejected"),
    "nul": (lambda n: "\x00" * (n % 3 + 1), 1, "rejected"),
    "multiline": (lambda n: f'{ENTERPRISES[0]},U{n},"燃气\n(LNG)",4,in_use', 2, "loaded"),
    "blank": (lambda n: ",,,," if n % 2 else "", 1, "blank"),
    "impossible": (lambda n: f"{ENTERPRISES[0]},U{n},燃气,-4,in_use", 1, "rejected"),
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=20),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
    newline=st.sampled_from(["\r\n", "\n"]),
    final_break=st.booleans(),
)
def test_every_line_is_counted_exactly_once(
    kinds: list[str], encoding: str, newline: str, final_break: bool, tmp_path: Path
) -> None:
    if kinds[-1] == "blank":
        final_break = True  # an empty last line with no break is no line at all
    texts = [HEADER] + [KINDS[k][0](n) for n, k in enumerate(kinds)]
    body = newline.join(t.replace("\n", newline) for t in texts) + (newline if final_break else "")
    folder = tmp_path / "boilers"
    folder.mkdir(exist_ok=True)
    (folder / "b.csv").write_bytes(body.encode(encoding))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        stats = ingest_feed(con, BOILERS, tmp_path, "b1")
        loaded = [r[0] for r in con.execute("select line_no from raw.boilers").fetchall()]
        rejected = [
            r[0] for r in con.execute("select line_no from audit.rejected_records").fetchall()
        ]
        note = con.execute("select note from audit.load_log").fetchone()[0] or ""
    finally:
        con.close()
    expected: dict[str, list[int]] = {"loaded": [], "rejected": [], "blank": []}
    line = 2  # the header is line 1
    for k in kinds:
        _, lines, outcome = KINDS[k]
        expected[outcome].append(line)
        line += lines
    assert sorted(loaded) == expected["loaded"]
    assert sorted(rejected) == expected["rejected"]
    assert stats.rows_read == stats.rows_loaded + stats.rows_rejected == len(loaded + rejected)
    blank = len(expected["blank"])
    assert (f"{blank} blank rows skipped" in note) == bool(blank)
