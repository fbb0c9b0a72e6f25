"""The registry suite (expectations/registry.json) through great-expectations on real rows.

A clean registry passes every expectation; then, per expectation, one bad row is injected and
exactly that expectation must fail, with the bad row counted: proof that GX sees the rows.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import duckdb
import pytest

from dagster_project.feeds.contracts import (
    KEY_INDUSTRIES,
    PERFORMANCE_GRADES,
    REGISTRY_ENTERPRISES,
    REGISTRY_OUTLET_LIMITS,
    REGISTRY_OUTLETS,
    TOWNSHIPS,
)
from dagster_project.feeds.ingest import ingest_feed
from dagster_project.feeds.uscc import USCC_CHARSET, make_uscc
from dagster_project.quality import suite_memo
from dagster_project.quality.gx_runner import (
    REGISTRY_SUITE,
    SuiteResult,
    json_safe,
    run_registry_suite,
)

IDS = [make_uscc(random.Random(i)) for i in range(5)]
NEW_ID = make_uscc(random.Random(99))
FOREIGN_ID = make_uscc(random.Random(98))
MNS = ["41088300000001", "41088300000002", "4108830A5C1D741E22AE4CE3", "41088300000004"]
ENTERPRISE_HEADER = [
    "统一社会信用代码", "企业名称", "乡镇", "行业代码", "重点行业",
    "绩效分级", "排污许可证编号", "经度", "纬度",
]  # fmt: skip
OUTLET_HEADER = [
    "enterprise_id", "outlet_id", "mn", "outlet_name", "source_kind", "unit_id", "reference_o2",
]  # fmt: skip
TABLES = {
    "enterprises": "raw.registry_enterprises",
    "outlets": "raw.registry_outlets",
    "outlet_limits": "raw.registry_outlet_limits",
}


def _write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse file with a clean registry, loaded through the ingest path."""
    sources = tmp_path / "sources"
    _write(
        sources / "registry" / "enterprises.csv",
        [ENTERPRISE_HEADER]
        + [
            [eid, f"孟州市测试{i}有限公司", TOWNSHIPS[i], "3031", "bricks", "" if i == 0 else "B",
             f"91410883P{i:03d}", f"{112.7 + i / 100:.3f}", f"{34.9 + i / 100:.3f}"]
            for i, eid in enumerate(IDS)
        ],
    )  # fmt: skip
    _write(
        sources / "registry" / "outlets.csv",
        [OUTLET_HEADER]
        + [[IDS[i], "DA001", MNS[i], "窑炉排放口", "kiln", "", "18"] for i in range(4)]
        + [[IDS[4], "DA001", "", "无组织", "process", "", ""]],
    )  # fmt: skip
    _write(
        sources / "registry" / "outlet_limits.csv",
        [["mn", "pollutant_code", "limit_mg_m3", "analyzer_range"]]
        + [[mn, "a21026", "35", "200"] for mn in MNS],
    )
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    for spec in (REGISTRY_ENTERPRISES, REGISTRY_OUTLETS, REGISTRY_OUTLET_LIMITS):
        stats = ingest_feed(connection, spec, sources, "t")
        assert stats.rows_rejected == 0, stats
    yield connection
    connection.close()


def _by_batch(results: list[SuiteResult]) -> dict[str, SuiteResult]:
    return {r.suite_name.split(".", 1)[1]: r for r in results}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def _assert_every_row_seen(con: duckdb.DuckDBPyConnection, results: list[SuiteResult]) -> None:
    for batch, result in _by_batch(results).items():
        rows = _count(con, TABLES[batch])
        assert result.rows_validated == rows, batch
        for e in result.expectations:
            if e.expectation_type != "expect_table_row_count_to_be_between":
                assert e.element_count == rows, (batch, e.expectation_type, e.column)


def test_clean_registry_passes_every_expectation(con: duckdb.DuckDBPyConnection) -> None:
    results = run_registry_suite(con)
    assert set(_by_batch(results)) == set(TABLES)
    suite = json.loads(REGISTRY_SUITE.read_text(encoding="utf-8"))
    assert sum(r.evaluated_expectations for r in results) == len(suite["expectations"])
    for r in results:
        assert r.success, [
            (e.expectation_type, e.column, e.partial_unexpected, e.error) for e in r.failed()
        ]
    _assert_every_row_seen(con, results)
    # plain data, ready for Dagster metadata
    json.dumps([asdict(r) for r in results], ensure_ascii=False)


WRONG_CHECK = NEW_ID[:17] + next(c for c in USCC_CHARSET if c != NEW_ID[17])

NOT_NULL = "expect_column_values_to_not_be_null"
UNIQUE = "expect_column_values_to_be_unique"
LENGTH = "expect_column_value_lengths_to_equal"
REGEX = "expect_column_values_to_match_regex"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"
ENT, OUT, LIM = "enterprises", "outlets", "outlet_limits"

# (batch, expectation type, column, "replace" assignment on a copy of an existing row, count).
# GX counts every row carrying a duplicated value, the original and the copy: hence the 2s.
CASES = [
    (ENT, NOT_NULL, "enterprise_id", "null::varchar as enterprise_id", 1),
    (ENT, UNIQUE, "enterprise_id", f"'{IDS[1]}' as enterprise_id", 2),
    (ENT, LENGTH, "enterprise_id", f"'{NEW_ID[:17]}' as enterprise_id", 1),
    (ENT, REGEX, "enterprise_id", f"'{NEW_ID[:17]}I' as enterprise_id", 1),
    (ENT, IN_SET, "uscc_check_ok", f"'{WRONG_CHECK}' as enterprise_id", 1),
    (ENT, REGEX, "industry_code", "'33' as industry_code", 1),
    (ENT, IN_SET, "township", "'孟州镇' as township", 1),
    (ENT, IN_SET, "performance_grade", "'E' as performance_grade", 1),
    (ENT, IN_SET, "key_industry", "'mining' as key_industry", 1),
    (ENT, BETWEEN, "longitude", "113.5 as longitude", 1),
    (ENT, BETWEEN, "latitude", "35.5 as latitude", 1),
    (OUT, UNIQUE, "mn", f"'{MNS[1]}' as mn", 2),
    (OUT, COMPOUND_UNIQUE, "enterprise_id,outlet_id", "'DA001' as outlet_id", 2),
    (OUT, IN_SET, "enterprise_known", f"'{FOREIGN_ID}' as enterprise_id", 1),
    (OUT, IN_SET, "source_kind", "'furnace' as source_kind", 1),
    (OUT, BETWEEN, "reference_o2", "21.0 as reference_o2", 1),
    (LIM, IN_SET, "mn_known", "'NOSUCHMN' as mn", 1),
    (LIM, BETWEEN, "limit_mg_m3", "0.0 as limit_mg_m3", 1),
    (LIM, IN_SET, "range_covers_limit", "10.0 as analyzer_range", 1),
]

# What a copied row needs to differ in so that it breaks nothing but the case's expectation.
FRESH = {
    "enterprises": {"enterprise_id": f"'{NEW_ID}'"},
    "outlets": {"mn": "'41088399999999'", "outlet_id": "'DA009'"},
    "outlet_limits": {"pollutant_code": "'a21002'"},
}


def test_every_expectation_of_the_suite_has_a_case() -> None:
    suite = json.loads(REGISTRY_SUITE.read_text(encoding="utf-8"))
    in_suite = {
        (
            e["meta"]["batch"],
            e["type"],
            e["kwargs"].get("column") or ",".join(e["kwargs"]["column_list"]),
        )
        for e in suite["expectations"]
        if e["type"] != "expect_table_row_count_to_be_between"
    }
    assert in_suite == {(b, t, c) for b, t, c, _, _ in CASES}


@pytest.mark.parametrize(("batch", "etype", "column", "assignment", "count"), CASES)
def test_one_bad_row_fails_exactly_its_expectation(
    con: duckdb.DuckDBPyConnection, batch: str, etype: str, column: str, assignment: str, count: int
) -> None:
    table = TABLES[batch]
    target = assignment.rsplit(" as ", 1)[1]
    replaces = {k: v for k, v in FRESH[batch].items() if k != target}
    replace_sql = ", ".join([assignment] + [f"{v} as {k}" for k, v in replaces.items()])
    con.execute(f"insert into {table} select * replace ({replace_sql}) from {table} limit 1")

    results = _by_batch(run_registry_suite(con))
    failed = [(e.expectation_type, e.column, e.unexpected_count) for e in results[batch].failed()]
    assert failed == [(etype, column, count)]
    for other, result in results.items():
        if other != batch:
            assert result.success, other
    _assert_every_row_seen(con, list(results.values()))


def test_an_empty_registry_fails_the_row_count(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("delete from raw.registry_enterprises")
    result = _by_batch(run_registry_suite(con))["enterprises"]
    assert result.rows_validated == 0
    assert [e.expectation_type for e in result.failed()] == ["expect_table_row_count_to_be_between"]


def test_suite_value_sets_follow_the_contracts() -> None:
    suite = json.loads(REGISTRY_SUITE.read_text(encoding="utf-8"))
    sets = {
        e["kwargs"]["column"]: e["kwargs"]["value_set"]
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set" and e["meta"]["batch"] == "enterprises"
    }
    assert sets["township"] == list(TOWNSHIPS)
    assert sets["key_industry"] == list(KEY_INDUSTRIES)
    assert sets["performance_grade"] == list(PERFORMANCE_GRADES)


def test_the_suite_is_not_run_again_until_a_ledger_feed_is_read_again(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A build that read no ledger feed again gets the last result back, as it was, marked not
    re-run; once a feed is read again (here: an outlet added), the suite runs on the new rows."""
    runs: list[int] = []

    def run(c: duckdb.DuckDBPyConnection) -> list[SuiteResult]:
        runs.append(1)
        return run_registry_suite(c)

    def as_json(results: list[SuiteResult]) -> str:
        return json.dumps(json_safe([asdict(r) for r in results]), sort_keys=True)

    first, re_run = suite_memo.validated(con, REGISTRY_SUITE, run, "b1")
    assert re_run and len(runs) == 1
    kept, re_run = suite_memo.validated(con, REGISTRY_SUITE, run, "b2")
    assert not re_run and len(runs) == 1
    assert as_json(kept) == as_json(first)

    outlets = tmp_path / "sources" / "registry" / "outlets.csv"
    outlets.write_text(
        outlets.read_text(encoding="utf-8") + f"{IDS[4]},DA002,{MNS[0]}9,炉排放口,boiler,,9\n",
        encoding="utf-8",
    )
    ingest_feed(con, REGISTRY_OUTLETS, tmp_path / "sources", "b3")
    again, re_run = suite_memo.validated(con, REGISTRY_SUITE, run, "b3")
    assert re_run and len(runs) == 2
    assert (
        _by_batch(again)["outlets"].rows_validated == _by_batch(first)["outlets"].rows_validated + 1
    )
