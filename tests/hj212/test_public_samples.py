"""The 40 public sample packets get the outcome their `# crc:` line implies."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dagster_project.hj212.parse import parse_files
from tests.hj212.conftest import Sample, load_samples, mn_of

SAMPLES = load_samples()


def test_the_sample_file_has_40_packets_33_valid_3_variant_4_invalid() -> None:
    kinds = [s.expected for s in SAMPLES]
    assert (len(kinds), kinds.count("valid"), kinds.count("modbus_le")) == (40, 33, 3)


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"sample{i + 1:02d}" for i in range(40)])
def test_sample_outcome(sample: Sample, write_log, tmp_path: Path) -> None:
    result = parse_files([write_log([sample.packet])])
    loaded = result.counts["packets_valid"]
    reasons = result.rejects.get_column("reason").to_list()
    if sample.expected == "valid":
        assert (loaded, reasons) == (1, [])
        assert result.values.height + result.events.height > 0
        if sample.length_mismatch:  # the CRC holds, the declared length lies: kept, marked
            assert result.counts["length_mismatch_accepted"] == 1
    elif sample.expected == "modbus_le":
        assert (loaded, reasons) == (0, ["crc_modbus_le"])
        allowed = parse_files(
            [write_log([sample.packet])], modbus_le_allowed={mn_of(sample.packet)}
        )
        assert allowed.counts["packets_valid"] == 1
        assert set(allowed.values.get_column("crc_variant").cast(pl.String)) == {"modbus_le"}
    else:
        expected = "length_mismatch" if sample.length_mismatch else "crc_mismatch"
        assert (loaded, reasons) == (0, [expected])


def test_whole_sample_file_reconciles(write_log) -> None:
    result = parse_files([write_log([s.packet for s in SAMPLES], "samples.log")])
    c = result.counts
    assert c["lines_read"] == 40
    assert c["packets_valid"] + c["rejected"] == 40
    assert c["variant_classified"] == 3
    # samples 8 and 9 are the same 2005 reading (MN, CN, DataTime) from two test suites
    dup = result.rejects.filter(pl.col("reason") == "duplicate")
    assert dup.get_column("line_no").to_list() == [9]
    assert c["packets_valid"] == 33 - 1
    assert result.per_file[next(iter(result.per_file))] == (40, 32, 8)


def test_sample_values_are_in_long_format_with_2017_codes(write_log) -> None:
    mixed = next(s for s in SAMPLES if "HJ212MsgUtils" in s.source)
    v = parse_files([write_log([mixed.packet])]).values.with_columns(pl.all().cast(pl.String))
    codes = dict(zip(v["code_sent"], v["pollutant_code"], strict=True))
    assert codes["B02"] == "a00000" and codes["S01"] == "a19001" and codes["S08"] == "a01013"
    assert codes["a24088"] == "a24088"  # 2017 codes in the same packet stay as they are
    row = v.filter((pl.col("pollutant_code") == "a00000") & (pl.col("field") == "Cou"))
    assert row["value"].to_list() == ["11010.8437"]
    assert set(v["protocol_version"]) == {"2005"}
    assert row["data_time"].to_list() == ["2022-10-08 10:00:00.000000"]
