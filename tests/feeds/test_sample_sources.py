"""Every ledger feed of the embedded sample (sources/) loads, and its counts reconcile."""

from __future__ import annotations

import pytest

from dagster_project.feeds.contracts import LEDGER_FEEDS
from dagster_project.feeds.ingest import ingest_feed
from dagster_project.quality.gx_runner import run_registry_suite
from tests.conftest import SAMPLE_SOURCES

pytestmark = pytest.mark.skipif(
    not (SAMPLE_SOURCES / "registry").is_dir(), reason="sample sources not generated"
)


def test_sample_ledgers_load_and_reconcile(con) -> None:
    for spec in LEDGER_FEEDS:
        stats = ingest_feed(con, spec, SAMPLE_SOURCES, "sample")
        assert stats.files > 0, spec.feed
        assert stats.rows_loaded > 0, spec.feed
        assert stats.rows_read == stats.rows_loaded + stats.rows_rejected
        loaded = con.execute(f"select count(*) from raw.{spec.table}").fetchall()[0][0]
        assert loaded == stats.rows_loaded, spec.feed
    assert (
        con.execute(
            "select count(*) from audit.load_log where rows_read <> rows_loaded + rows_rejected"
        ).fetchall()[0][0]
        == 0
    )
    rejected_per_feed = dict(
        con.execute("select feed, count(*) from audit.rejected_records group by feed").fetchall()
    )
    logged_per_feed = dict(
        con.execute("select feed, sum(rows_rejected) from audit.load_log group by feed").fetchall()
    )
    assert {f: n for f, n in logged_per_feed.items() if n} == rejected_per_feed

    # the registry suite runs over every registry row without a GX error
    results = run_registry_suite(con)
    tables = {
        "enterprises": "raw.registry_enterprises",
        "outlets": "raw.registry_outlets",
        "outlet_limits": "raw.registry_outlet_limits",
    }
    for r in results:
        table = tables[r.suite_name.split(".", 1)[1]]
        assert r.rows_validated == con.execute(f"select count(*) from {table}").fetchall()[0][0]
        assert all(e.error is None for e in r.expectations), r.suite_name
