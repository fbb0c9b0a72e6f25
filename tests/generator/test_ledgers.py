"""Every ledger file is readable with its header mapped through contracts.py, and the county
holds the cases the action lists must find."""

from __future__ import annotations

import csv
import fnmatch
import io
from collections import defaultdict
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from dagster_project.feeds import contracts as fc
from dagster_project.feeds.uscc import is_valid_uscc
from dagster_project.generator import GenerationSummary


def spec_for(rel: str) -> fc.FeedSpec:
    folder, name = rel.rsplit("/", 1)  # ambient feeds sit one folder deeper
    matches = [
        s for s in fc.LEDGER_FEEDS if s.folder == folder and fnmatch.fnmatch(name, s.file_glob)
    ]
    assert len(matches) == 1, rel
    return matches[0]


def read_table(path: Path) -> tuple[str, dict[str, list[list[Any]]]]:
    """(encoding or 'xlsx', {sheet: rows incl. header})."""
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        sheets = {
            ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets
        }
        wb.close()
        return "xlsx", sheets
    raw = path.read_bytes()
    for enc in ("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8", "gbk"):
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc, {"": list(csv.reader(io.StringIO(text, newline="")))}
    raise AssertionError(f"{path}: neither UTF-8 nor GBK")


def _ledgers(s: GenerationSummary) -> list[str]:
    return [rel for rel in s.files if not rel.startswith("cems/")]


def _records(s: GenerationSummary, feed: str) -> list[dict[str, Any]]:
    out = []
    for rel in _ledgers(s):
        spec = spec_for(rel)
        if spec.feed != feed:
            continue
        _enc, sheets = read_table(s.out_dir / rel)
        hm = spec.header_map()
        for rows in sheets.values():
            names = [hm.get(str(h).lower(), str(h)) for h in rows[0]]
            out += [dict(zip(names, r, strict=True)) for r in rows[1:]]
    return out


def test_every_ledger_maps_to_its_contract(small_county: GenerationSummary) -> None:
    encodings = set()
    for rel in _ledgers(small_county):
        spec = spec_for(rel)
        enc, sheets = read_table(small_county.out_dir / rel)
        encodings.add(enc)
        hm = spec.header_map()
        n = 0
        for sheet, rows in sheets.items():
            mapped = {hm[str(h).lower()] for h in rows[0] if str(h).lower() in hm}
            missing = set(spec.required_columns) - mapped
            assert not missing, f"{rel} {sheet}: missing {missing}"
            n += len(rows) - 1
        assert n == small_county.files[rel], rel
    assert {"utf-8", "utf-8-sig", "gbk", "xlsx"} <= encodings


def test_gbk_files_are_really_gbk(small_county: GenerationSummary) -> None:
    gbk = [
        rel for rel in _ledgers(small_county) if read_table(small_county.out_dir / rel)[0] == "gbk"
    ]
    assert gbk
    for rel in gbk:
        with pytest.raises(UnicodeDecodeError):
            (small_county.out_dir / rel).read_bytes().decode("utf-8")


def test_registry_keys(small_county: GenerationSummary) -> None:
    ents = _records(small_county, "registry_enterprises")
    ids = {e["enterprise_id"] for e in ents}
    assert len(ids) == len(ents) == small_county.enterprises
    assert all(is_valid_uscc(i) for i in ids)
    assert {e["township"] for e in ents} <= set(fc.TOWNSHIPS)
    assert {e["performance_grade"] for e in ents} <= {"A", "B", "B-", "C", "D", ""}
    outlets = _records(small_county, "registry_outlets")
    mns = [o["mn"] for o in outlets if o["mn"]]
    assert len(mns) == len(set(mns)) == small_county.monitored_outlets
    assert all(14 <= len(m) <= 24 for m in mns)
    assert any(not o["mn"] for o in outlets)
    assert {o["enterprise_id"] for o in outlets} <= ids
    limits = _records(small_county, "registry_outlet_limits")
    assert {row["mn"] for row in limits} == set(mns)
    for feed in ("boilers", "kilns", "voc", "activity", "transport", "manual_tests"):
        assert {str(r["enterprise_id"]) for r in _records(small_county, feed)} <= ids, feed


def test_boilers_hold_the_plan_task_21_cases(tmp_path: Path) -> None:
    from dagster_project.generator import build_county

    county = build_county(2023, 60)
    boilers = [u.attrs for u in county.units if u.kind == "boiler"]
    assert any(
        b["fuel"] == "gas" and b["capacity_t_h"] >= 10 and not b["auto_monitoring"] for b in boilers
    )
    assert any(
        b["fuel"] == "biomass" and b["capacity_t_h"] >= 4 and not b["auto_monitoring"]
        for b in boilers
    )
    assert any(b["fuel"] == "biomass" and b["capacity_t_h"] < 4 for b in boilers)
    assert any(b["co_firing"] == "coal" for b in boilers)
    assert any(b["fgr_valve"] == "manual" for b in boilers)
    kilns = [u.attrs for u in county.units if u.kind == "kiln"]
    overdue = [
        k
        for k in kilns
        if k["damage_found"]
        and (k["rectified_date"] is None or k["rectified_date"] > k["rectification_deadline"])
    ]
    assert overdue and any(
        k["damage_found"]
        and k["rectified_date"]
        and k["rectified_date"] <= k["rectification_deadline"]
        for k in kilns
    )
    assert any(k["uses_ammonia"] and not k["ammonia_slip_monitoring"] for k in kilns)
    assert any(k["desulfurization"] in ("dust_desulf_integrated", "simple_alkali") for k in kilns)
    vocs = [u.attrs for u in county.units if u.kind == "voc"]
    assert any((v["seal_points"] or 0) >= 1000 and v["ldar_done"] is False for v in vocs)


def test_clean_transport_shares_straddle_85(small_county: GenerationSummary) -> None:
    tonnes: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in _records(small_county, "transport"):
        clean = r["mode"] in ("rail", "belt", "pipeline") or r["emission_standard"] in (
            "china6",
            "electric",
        )
        t = float(r["tonnes"])
        tonnes[str(r["enterprise_id"])][0] += t * clean
        tonnes[str(r["enterprise_id"])][1] += t
    shares = [c / t for c, t in tonnes.values() if t]
    assert min(shares) < 0.85 < max(shares)
