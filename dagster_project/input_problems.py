"""What a build's inputs did not deliver whole, for the build summary and its exit status.

`read_input_report(con, build_id)` gathers, from audit.rejected_records and the raw tables:
* the files that could not be read whole (`FileProblem`): file-level rejects (truncated_file,
  empty_file, unreadable_file), files or sheets rejected record by record for one reason
  (undecodable, no header, a required column missing) and CSVs ending mid-row, of this build
  and of packet logs this build skipped as unchanged (their rejects stay from the build that
  read them);
* the rows loaded with plausibility warnings, per feed (raw.<table>.warnings);
* this build's rejects by reason.
`InputReport.exit_code()` is the status `lantian build` ends with once the warehouse is built:
3 (input problems) when a file could not be read whole, else 0 (operate/exit_codes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from dagster_project import warehouse
from dagster_project.operate import exit_codes


@dataclass
class FileProblem:
    """A file (or sheet) that could not be read whole."""

    feed: str
    source_file: str
    sheet: str | None
    line_no: int | None  # 0: the file as a whole; else the (first) line concerned
    reason: str
    records: int  # rejected rows behind the problem
    detail: str | None
    earlier_build: bool = False  # recorded when the file was read (unchanged since)

    def render(self) -> str:
        where = self.source_file + (f" sheet {self.sheet}" if self.sheet else "")
        if self.line_no:
            where += f" line {self.line_no}"
        rows = f" ({self.records} records rejected)" if self.records > 1 else ""
        earlier = " [unchanged since an earlier build]" if self.earlier_build else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"  {self.feed:<22}{where}  {self.reason}{rows}{detail}{earlier}"


@dataclass
class InputReport:
    file_problems: list[FileProblem] = field(default_factory=list)
    warnings_by_feed: dict[str, int] = field(default_factory=dict)
    rejects_by_reason: dict[str, int] = field(default_factory=dict)  # this build's rejects

    def exit_code(self) -> int:
        return exit_codes.INPUT_PROBLEMS if self.file_problems else exit_codes.OK

    def problem_lines(self) -> list[str]:
        """Printed before the per-feed counts: files not read whole, then warned rows."""
        out: list[str] = []
        if self.file_problems:
            out += [
                "",
                f"INPUT FILES NOT READ WHOLE ({len(self.file_problems)}; exit status "
                f"{exit_codes.INPUT_PROBLEMS}): see audit.rejected_records",
                *(p.render() for p in self.file_problems),
            ]
        if self.warnings_by_feed:
            counts = ", ".join(f"{f} {n}" for f, n in sorted(self.warnings_by_feed.items()))
            out += ["", f"rows loaded with plausibility warnings (raw.*.warnings): {counts}"]
        return out

    def reason_lines(self) -> list[str]:
        if not self.rejects_by_reason:
            return []
        lines = ["", "rejected by reason (audit.rejected_records):"]
        return lines + [f"  {r:<40}{n:>10}" for r, n in sorted(self.rejects_by_reason.items())]


def read_input_report(con: duckdb.DuckDBPyConnection, build_id: str) -> InputReport:
    tables = {
        f"{s}.{t}"
        for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    if "audit.rejected_records" not in tables:
        return InputReport()
    by_reason = con.execute(
        "select reason, count(*) from audit.rejected_records where build_id = ? group by 1",
        [build_id],
    ).fetchall()
    return InputReport(
        file_problems(con, build_id), _warnings_by_feed(con, tables), dict(by_reason)
    )


def file_problems(con: duckdb.DuckDBPyConnection, build_id: str) -> list[FileProblem]:
    """The input files of the build that could not be read whole (see the module docstring)."""
    prefixes = " or ".join(f"r.reason like '{p}%'" for p in warehouse.WHOLE_FILE_REASON_PREFIXES)
    file_level = ", ".join(f"'{r}'" for r in warehouse.FILE_LEVEL_REASONS)
    rows = con.execute(
        f"""select r.feed, r.source_file, r.sheet, min(r.line_no), r.reason, count(*),
                   any_value(r.detail), bool_and(r.build_id <> ?)
            from audit.rejected_records r
            where (r.reason in ({file_level}) or {prefixes})
              and (r.build_id = ? or exists (
                  select 1 from audit.load_log l
                  where l.build_id = ? and l.feed = r.feed and l.source_file = r.source_file
                    and l.note like 'unchanged%'))
            group by all order by r.feed, r.source_file, r.sheet, min(r.line_no)""",
        [build_id, build_id, build_id],
    ).fetchall()
    return [
        FileProblem(feed, file, sheet, line, reason, int(n), detail, bool(earlier))
        for feed, file, sheet, line, reason, n, detail, earlier in rows
    ]


def _warnings_by_feed(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, int]:
    from dagster_project.feeds.contracts import LEDGER_FEEDS

    counts = {}
    for spec in LEDGER_FEEDS:
        table = f"raw.{spec.table}"
        if table not in tables:
            continue
        cols = {r[0] for r in con.execute(f"describe {table}").fetchall()}
        if "warnings" in cols:
            n = con.execute(f"select count(*) from {table} where warnings is not null").fetchone()
            if n and n[0]:
                counts[spec.feed] = int(n[0])
    return counts
