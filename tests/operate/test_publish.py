"""Publishing: a compacted warehouse and export folders swapped in atomically."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from dagster_project.operate import publish


def _fill(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    con.execute(
        "create or replace table raw.values as "
        f"select range as i, hash(range + {seed}) as h, 'text ' || range as s from range(200000)"
    )


def test_compaction_gives_a_rebuilt_warehouse_the_size_of_a_fresh_one(tmp_path: Path) -> None:
    fresh, rebuilt = tmp_path / "fresh.duckdb", tmp_path / "rebuilt.duckdb"
    for path, rebuilds in ((fresh, 1), (rebuilt, 6)):
        con = duckdb.connect(str(path))
        con.execute("create schema raw; create schema staging")
        for seed in range(rebuilds):  # a build replaces every table of the copied warehouse
            _fill(con, seed)
        con.execute("create view staging.v as select i from raw.values where i < 10")
        con.execute("comment on table raw.values is '原始数据'")
        con.close()
    assert rebuilt.stat().st_size > 1.5 * fresh.stat().st_size
    compacted = tmp_path / "compacted.duckdb"
    publish.compact(rebuilt, compacted)
    assert abs(compacted.stat().st_size / fresh.stat().st_size - 1) < 0.05
    con = duckdb.connect(str(compacted), read_only=True)
    assert con.execute("select count(*) from staging.v").fetchone() == (10,)
    assert con.execute(
        "select comment from duckdb_tables() where table_name = 'values'"
    ).fetchone() == ("原始数据",)
    con.close()


def test_publishing_compacts_only_a_file_with_much_free_space(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    for rebuilds, compacted in ((1, False), (6, True)):
        building = publish.building_path(target, f"b{rebuilds}")
        con = duckdb.connect(str(building))
        con.execute("create schema raw")
        for seed in range(rebuilds):
            _fill(con, seed)
        con.close()
        share = publish.free_share(building)
        assert (share > publish.MAX_FREE_SHARE) is compacted, share
        size = building.stat().st_size
        assert publish.publish_warehouse(building, target) is compacted
        assert not building.exists() and not Path(f"{building}.compact").exists()
        assert (target.stat().st_size < 0.5 * size) is compacted
        con = duckdb.connect(str(target), read_only=True)
        assert con.execute("select count(*) from raw.values").fetchone() == (200000,)
        con.close()


def test_dbt_opens_the_building_file_by_a_stable_link(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    first, second = (publish.building_path(target, b) for b in ("b1", "b2"))
    link = publish.link_for_dbt(first, target)
    assert link == publish.dbt_link(target) and link.resolve() == first
    Path(f"{link}.wal").write_bytes(b"left by a killed dbt")
    assert publish.link_for_dbt(second, target) == link and link.resolve() == second
    assert not Path(f"{link}.wal").exists()  # it belonged to the other file
    con = duckdb.connect(str(link))  # dbt writes through the link into the building file
    con.execute("create table t as select 1 as x")
    con.close()
    assert duckdb.connect(str(second), read_only=True).execute("from t").fetchone() == (1,)
    publish.remove_build_files(target, "b1")  # a killed earlier build's clean-up
    assert link.is_symlink()
    publish.remove_build_files(target, "b2")
    assert not link.is_symlink() and not second.exists()


def _stage(exports: Path, build_id: str, content: str) -> None:
    for name in ("2023", "reports"):
        folder = publish.staged_exports(exports, build_id) / name
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(content)


def test_export_folders_are_swapped_and_old_versions_removed(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    (exports / "2023").mkdir(parents=True)  # a folder from before staging
    (exports / "2023" / "manifest.json").write_text("legacy")
    (exports / "2021").mkdir()  # a year no build writes any more: left alone
    _stage(exports, "b1", "one")
    assert publish.publish_exports(exports, "b1") == ["2023", "reports"]
    publish.remove_unreferenced_exports(exports)
    assert (exports / "2023").is_symlink()
    assert (exports / "2023" / "manifest.json").read_text() == "one"
    with open(exports / "2023" / "manifest.json") as reader:  # an analyst has it open
        _stage(exports, "b2", "two")
        publish.publish_exports(exports, "b2")
        publish.remove_unreferenced_exports(exports)
        assert (exports / "2023" / "manifest.json").read_text() == "two"
        assert reader.read() == "one"
    assert sorted(os.listdir(exports / publish.STAGED)) == ["b2"]
    assert (exports / "2021").is_dir()


def test_a_refused_build_changes_no_published_byte(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    _stage(exports, "b1", "one")
    publish.publish_exports(exports, "b1")
    _stage(exports, "b2", "refused")  # the build stops before publishing
    publish.remove_unreferenced_exports(exports)
    assert (exports / "2023" / "manifest.json").read_text() == "one"
    assert sorted(os.listdir(exports / publish.STAGED)) == ["b1"]
