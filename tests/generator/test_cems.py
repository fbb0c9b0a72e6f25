"""CEMS logs: framing/CRC, and the physics as read back from the packets."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from dagster_project.generator import GenerationSummary, build_county
from dagster_project.generator.county import POLLUTANT_CODES

from ._support import SMALL, crc_ok, parse, read_log

POLLUTANTS = set(POLLUTANT_CODES.values()) | {"01", "02", "03", "10", "25"}


def _logs(s: GenerationSummary) -> dict[str, list[str]]:
    return {rel: read_log(s.out_dir / rel) for rel in s.files if rel.startswith("cems/")}


def _packets(
    s: GenerationSummary, cn: str
) -> list[tuple[str, dict[str, str], dict[str, dict[str, str]]]]:
    out = []
    for rel, lines in _logs(s).items():
        for line in lines:
            if crc_ok(line) and f";CN={cn};" in line:
                h, items = parse(line)
                out.append((rel, h, items))
    return out


def test_every_line_verifies_except_the_deliberately_corrupted(
    small_county: GenerationSummary,
) -> None:
    bad = {(c.file, c.line_no) for c in small_county.corrupted_lines}
    assert {c.kind for c in small_county.corrupted_lines} == {"crc_mismatch", "truncated"}
    failing = set()
    for rel, lines in _logs(small_county).items():
        assert lines, rel
        for i, line in enumerate(lines, start=1):
            assert line.endswith("\r\n")
            if not crc_ok(line):
                failing.add((rel, i))
        assert len(lines) == small_county.files[rel]
    assert failing == bad


def test_packet_kinds_present(small_county: GenerationSummary) -> None:
    text = "".join(line for lines in _logs(small_county).values() for line in lines)
    for cn in ("2061", "2051", "9021", "2081"):
        assert f";CN={cn};" in text
    assert ";Flag=0;" in text and "01-Avg=" in text and "B02-Avg=" in text and "S01-Avg=" in text
    assert (
        small_county.hourly_packets == text.count(";CN=2061;") - 2
    )  # minus the two corrupted copies
    assert small_county.minute_packets == text.count(";CN=2051;")


def _num(items: dict[str, dict[str, str]], code: str, field: str) -> float:
    return float(items[code][field])


def test_hourly_physics(small_county: GenerationSummary) -> None:
    county = build_county(SMALL["seed"], SMALL["enterprises"])
    outlet = {o.mn: o for o in county.monitored_outlets}
    hourly = _packets(small_county, "2061")
    assert hourly
    stopped = running = 0
    for _rel, h, items in hourly:
        o = outlet[h["MN"]]
        flow_code, o2_code = ("B02", "S01") if o.protocol == "2005" else ("a00000", "a19001")
        flow, o2 = _num(items, flow_code, "Avg"), _num(items, o2_code, "Avg")
        assert _num(items, flow_code, "Cou") == pytest.approx(flow * 3600, abs=0.06)
        for code, f in items.items():
            if {"Min", "Avg", "Max"} <= f.keys():
                assert float(f["Min"]) <= float(f["Avg"]) <= float(f["Max"]), (h["MN"], code)
            if code not in POLLUTANTS:
                continue
            avg = float(f["Avg"])
            assert avg >= 0
            assert float(f["Cou"]) == pytest.approx(avg * flow * 3600e-6, abs=6e-5)
            if o.reference_o2 is None:
                assert "ZsAvg" not in f
            else:
                expected = avg * (21 - o.reference_o2) / (21 - o2)
                assert float(f["ZsAvg"]) == pytest.approx(expected, rel=1e-4, abs=6e-4)
                assert float(f["ZsMin"]) <= float(f["ZsAvg"]) <= float(f["ZsMax"])
        flags = {f["Flag"] for code, f in items.items() if code in POLLUTANTS}
        if flags == {"F"}:
            stopped += 1
            assert o2 >= 20.8
            assert flow < 0.02 * o.design_flow_m3_s
            assert all(float(f["Avg"]) == 0 for code, f in items.items() if code in POLLUTANTS)
        elif flags == {"N"}:
            running += 1
            assert o2 < 20.8 and flow > 0.1 * o.design_flow_m3_s
    assert stopped > 0 and running > stopped


def test_minute_means_equal_hourly_avg(small_county: GenerationSummary) -> None:
    minutes: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for _rel, h, items in _packets(small_county, "2051"):
        t = datetime.strptime(h["DataTime"], "%Y%m%d%H%M%S")
        for code, f in items.items():
            if code in POLLUTANTS and f["Flag"] == "N":
                minutes[(h["MN"], t.strftime("%Y%m%d%H"), code)].append(float(f["Avg"]))
    assert minutes
    checked = 0
    for _rel, h, items in _packets(small_county, "2061"):
        hour = h["DataTime"][:10]
        for code, f in items.items():
            vals = minutes.get((h["MN"], hour, code))
            if vals and f["Flag"] == "N":
                assert len(vals) >= 45
                assert float(f["Avg"]) == pytest.approx(sum(vals) / len(vals), abs=6e-4)
                assert float(f["Min"]) == pytest.approx(min(vals)) and float(
                    f["Max"]
                ) == pytest.approx(max(vals))
                checked += 1
    assert checked >= 40


def test_calibration_minutes_flagged_c(small_county: GenerationSummary) -> None:
    flags = [
        f["Flag"]
        for _r, _h, items in _packets(small_county, "2051")
        for code, f in items.items()
        if code in POLLUTANTS
    ]
    assert flags.count("C") > 0 and flags.count("N") > 100 * flags.count("C") / 10


def test_exceedances_exist_and_are_the_only_ones(small_county: GenerationSummary) -> None:
    county = build_county(SMALL["seed"], SMALL["enterprises"])
    outlet = {o.mn: o for o in county.monitored_outlets}
    code_to_p = {v: k for k, v in POLLUTANT_CODES.items()}
    over = set()
    for _rel, h, items in _packets(small_county, "2061"):
        o = outlet[h["MN"]]
        for code, f in items.items():
            p = code_to_p.get(code)
            if p is None or f["Flag"] != "N":
                continue
            value = float(f.get("ZsAvg", f["Avg"]))
            if value > o.limits[p]:
                over.add((h["MN"], p))
    planned = {(e.mn, e.pollutant) for e in small_county.events if e.kind == "exceedance"}
    assert planned and over == planned


def test_files_small_enough(small_county: GenerationSummary) -> None:
    sizes = [Path(small_county.out_dir / rel).stat().st_size for rel in small_county.files]
    assert max(sizes) < 4_000_000
