"""Versions, fields, codes, flags, units, split packets, events, duplicates and PW masking."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from dagster_project.hj212.parse import parse_files
from dagster_project.hj212.writer import frame, packet

T = datetime(2024, 3, 1, 10)


def _v(result) -> pl.DataFrame:
    return result.values.with_columns(pl.col(pl.Categorical).cast(pl.String))


def _pkt(mn: str = "M1", cn: str = "2061", flag: int | None = 4, t: datetime = T, **kw) -> str:
    kw.setdefault("items", [("a21026", {"Avg": "10.0", "Flag": "N"})])
    return packet(
        qn="20240301110005123", st="31", cn=cn, mn=mn, flag=flag, data_time=t, **kw
    ).rstrip()


def test_flag_bits_give_the_version(write_log) -> None:
    lines = [_pkt(mn=f"M{f}", flag=f) for f in (None, 0, 1, 4, 5, 8, 9)] + [_pkt(mn="MX", flag=12)]
    r = parse_files([write_log(lines)])
    versions = dict(zip(_v(r)["mn"], _v(r)["protocol_version"], strict=True))
    assert versions == {
        "MNone": "2005",
        "M0": "2005",
        "M1": "2005",
        "M4": "2017",
        "M5": "2017",
        "M8": "2025",
        "M9": "2025",
    }
    assert r.rejects["reason"].to_list() == ["unsupported_version"]


def test_2005_codes_map_per_pollutant_and_flags_normalise(write_log) -> None:
    items = [
        ("02", {"Avg": "50.0", "Flag": "F"}),
        ("a21002", {"Avg": "80.0", "Flag": "P"}),
        ("S08", {"Avg": "-0.3", "Flag": "N"}),
    ]
    old = _pkt(mn="OLD", flag=0, items=items)
    new = _pkt(mn="NEW", flag=4, items=[("02", {"Avg": "50.0", "Flag": "F"})])
    v = _v(parse_files([write_log([old, new])])).sort("mn", "pollutant_code")
    got = list(
        zip(v["mn"], v["code_sent"], v["pollutant_code"], v["flag"], v["flag_2017"], strict=True)
    )
    assert got == [
        ("NEW", "02", "a21026", "F", "F"),  # a 2017 packet: F already means instrument stopped
        ("OLD", "S08", "a01013", "N", "N"),
        ("OLD", "a21002", "a21002", "P", "D"),  # 2005 power failure -> fault
        ("OLD", "02", "a21026", "F", "Sd"),  # 2005 F: the source stopped
    ]


def test_every_cp_field_kind(write_log) -> None:
    items = [
        (
            "a21026",
            {
                "Rtd": "1",
                "Avg": "2",
                "Min": "0.5",
                "Max": "3",
                "ZsRtd": "1.5",
                "ZsAvg": "2.5",
                "ZsMin": "1",
                "ZsMax": "4",
                "Cou": "0.01",
                "Flag": "N",
                "EFlag": "A01",
                "SampleTime": "20240301100000",
            },
        ),
        ("SB1", {"RS": "1"}),
        ("SB2", {"RT": "23.5"}),
    ]
    v = _v(parse_files([write_log([_pkt(items=items)])]))
    assert set(v["field"]) == {
        "Rtd",
        "Avg",
        "Min",
        "Max",
        "ZsRtd",
        "ZsAvg",
        "ZsMin",
        "ZsMax",
        "Cou",
        "RS",
        "RT",
    }
    so2 = v.filter(pl.col("pollutant_code") == "a21026")
    assert set(so2["flag"]) == {"N"} and set(so2["eflag"]) == {"A01"}
    assert set(so2["sample_time"]) == {datetime(2024, 3, 1, 10)}
    assert v.filter(pl.col("pollutant_code") != "a21026")["sample_time"].is_null().all()
    assert dict(zip(so2["field"], so2["unit"], strict=True))["Cou"] == "kg"


def test_units_per_station(write_log) -> None:
    kpa = _pkt(mn="KPA", items=[("a01013", {"Avg": "-0.12"})])
    pa = _pkt(mn="PA", items=[("a01013", {"Avg": "-123.1"})])
    r = parse_files([write_log([kpa, pa])])
    assert dict(zip(_v(r)["mn"], _v(r)["unit"], strict=True)) == {"KPA": "kPa", "PA": "Pa"}
    r = parse_files([write_log([kpa])], station_units={"KPA": {"a01013": "hPa"}})
    assert _v(r)["unit"].to_list() == ["hPa"]


def _split_part(pno: int, cp: str, mn: str = "S1") -> str:
    """Part `pno` of a 2-part split packet (Flag bit D set) for DataTime 2024-03-01 10:00."""
    seg = (
        f"QN=2024030111000{pno}000;ST=31;CN=2061;PW=123456;MN={mn};Flag=6;PNUM=2;PNO={pno};"
        f"CP=&&DataTime=20240301100000;{cp}&&"
    )
    return frame(seg).rstrip()


def test_split_packets_reassemble_and_flags_join_across_parts(write_log) -> None:
    part = _split_part
    lines = [
        part(1, "a21026-Avg=10.0,a21026-Min=9.0"),
        part(2, "a21026-Flag=D;a21002-Avg=20.0,a21002-Flag=N"),
        part(2, "a34013-Avg=1.0,a34013-Flag=N", mn="S2"),
    ]
    r = parse_files([write_log(lines)])
    v = _v(r)
    assert r.counts["split_sets_complete"] == 1 and r.counts["split_sets_incomplete"] == 1
    assert r.rejects.height == 0
    s1 = v.filter(pl.col("mn") == "S1")
    assert dict(zip(s1["pollutant_code"] + s1["field"], s1["flag"], strict=True)) == {
        "a21026Avg": "D",
        "a21026Min": "D",
        "a21002Avg": "N",
    }


def test_a_split_set_spread_over_two_files_of_a_batch_is_one_set(write_log) -> None:
    first = write_log([_split_part(1, "a21026-Avg=10.0")], name="1000.log")
    second = write_log([_split_part(2, "a21026-Flag=D")], name="1100.log")  # the next hour's log
    r = parse_files([first, second])
    assert (r.counts["split_sets_complete"], r.counts["split_sets_incomplete"]) == (1, 0)
    assert _v(r).select("value", "flag").rows() == [(10.0, "D")]  # the flag from file 2


def test_commands_other_than_data_are_device_events(write_log) -> None:
    lines = [
        packet(
            qn="20240301000030000", st="31", cn="9021", mn="M1", data_time=None, items=[]
        ).rstrip(),
        packet(
            qn="20240301000100000",
            st="31",
            cn="2081",
            mn="M1",
            data_time=T,
            items=[],
            extra_cp=["RestartTime=20240301095913"],
        ).rstrip(),
        packet(
            qn="20240301000200000",
            st="31",
            cn="3020",
            mn="M1",
            data_time=T,
            items=[("i12001", {"Info": "0"})],
        ).rstrip(),
        packet(
            qn="20240301000300000", st="91", cn="9014", mn="M1", data_time=None, items=[]
        ).rstrip(),
        packet(
            qn="20240301000400000",
            st="31",
            cn="1072",
            mn="M1",
            data_time=None,
            items=[],
            extra_cp=["NewPW=secret9"],
        ).rstrip(),
    ]
    r = parse_files([write_log(lines)])
    e = r.events
    assert e["event_type"].to_list() == [
        "heartbeat",
        "logger_restart",
        "device_info",
        "reply",
        "command",
    ]
    assert "RestartTime=20240301095913" in e["detail"][1]
    assert e["data_time"][0] == datetime(2024, 3, 1, 0, 0, 30)  # no DataTime: the QN time
    assert "secret9" not in " ".join(e["detail"].to_list())
    assert r.values.height == 0 and r.counts["packets_valid"] == 5


def test_duplicates_first_received_wins_and_are_counted(write_log, tmp_path) -> None:
    first = _pkt(items=[("a21026", {"Avg": "10.0"})])
    resend = _pkt(items=[("a21026", {"Avg": "11.0"})])
    other = _pkt(t=datetime(2024, 3, 1, 11))
    b = write_log([first, resend, other, first], "b.log")
    a = write_log([resend], "a.log")
    r = parse_files([b, a], root=tmp_path)
    assert r.counts["duplicates_resolved"] == 3
    assert _v(r).select("source_file", "line_no", "value").rows() == [
        ("a.log", 1, 11.0),  # files in source_file order, then lines: a.log came first
        ("b.log", 3, 10.0),
    ]
    assert r.rejects.select("source_file", "line_no", "reason").rows() == [
        ("b.log", 1, "duplicate"),
        ("b.log", 2, "duplicate"),
        ("b.log", 4, "duplicate"),
    ]
    assert r.per_file == {"a.log": (1, 1, 0), "b.log": (4, 1, 3)}


def test_bad_values_and_times_are_rejected_with_reasons(write_log) -> None:
    bad_value = _pkt(items=[("a21026", {"Avg": "12.x"})])
    no_time = _pkt(t=None)
    bad_time = frame(
        "ST=31;CN=2061;PW=123456;MN=M1;Flag=4;CP=&&DataTime=20241301000000;a21026-Avg=1&&"
    )
    no_cp = frame("ST=31;CN=2061;PW=123456;MN=M1;Flag=4")
    r = parse_files([write_log([bad_value, no_time, bad_time.rstrip(), no_cp.rstrip()])])
    assert r.rejects["reason"].to_list() == [
        "bad_value",
        "bad_datatime",
        "bad_datatime",
        "bad_header",
    ]


def test_password_never_appears_in_any_output(write_log) -> None:
    secret = "Pwqzxk"
    good = packet(
        qn="20240301110005123",
        st="31",
        cn="2061",
        mn="M1",
        pw=secret,
        data_time=T,
        items=[("a21026", {"Avg": "1"})],
    ).rstrip()
    broken_key = good.replace(";PW=", ";PX=")  # corrupted key: CRC fails, text is still masked
    glued = good.replace(";PW=", "PW=")
    r = parse_files([write_log([good, broken_key, glued, good[:60]])])
    assert r.rejects.height == 3
    text = str(r.values.rows()) + str(r.rejects.rows()) + str(r.events.rows())
    assert secret not in text and "PW=******" in text


def test_padded_numbers_load_and_vendor_text_fields_are_left_out(write_log) -> None:
    items = [("a21026", {"Avg": " 12.5 ", "Min": "", "ValidNum": "45", "Note": "abc", "Flag": "N"})]
    r = parse_files([write_log([_pkt(items=items)])])
    v = _v(r)
    assert r.rejects.height == 0
    got = dict(zip(v["field"], v["value"], strict=True))
    assert got == {"Avg": 12.5, "Min": None, "ValidNum": 45.0}


def test_headers_are_parsed_strictly_and_the_password_never_kept(write_log) -> None:
    secret = "secret123"
    seg = (
        f"QN=20231201140035207PW={secret};ST=31;CN=2061;MN=M1;Flag=4;"
        "CP=&&DataTime=20231201130000;a21026-Avg=1.0,a21026-Flag=N&&"
    )
    repeated = seg.replace(f"PW={secret};", "").replace("MN=M1;", f"MN=M1;MN=M2;PW={secret};")
    unknown = seg.replace(f"PW={secret};", f";PWD={secret};")
    fine = seg.replace(f"PW={secret};", f";PW={secret};")  # the `;` in place: a good packet
    lines = [frame(s).rstrip() for s in (seg, repeated, unknown, fine)]
    r = parse_files([write_log(lines)])
    assert r.rejects.select("line_no", "reason").rows() == [
        (1, "bad_header"),
        (2, "bad_header"),
        (3, "bad_header"),
    ]
    assert _v(r).select("line_no", "qn").unique().rows() == [(4, "20231201140035207")]
    kept = " ".join(str(row) for df in (r.values, r.rejects, r.events) for row in df.rows())
    assert secret not in kept and "PW=******" in kept


def test_a_flag_with_a_second_equals_sign_is_malformed(write_log) -> None:
    leaky = frame(
        "QN=20240301110005123;ST=31;CN=2061;PW=123456;MN=M1;Flag=4;"
        "CP=&&DataTime=20240301100000;a21026-Avg=1.0;a21026-Flag=N=PW=abc&&"
    ).rstrip()
    r = parse_files([write_log([leaky])])
    assert r.rejects["reason"].to_list() == ["bad_value"] and r.values.height == 0
    assert "abc" not in r.rejects["raw_text"][0]


def test_impossible_readings_reject_the_packet_naming_the_item(write_log) -> None:
    lines = [
        _pkt(t=T, items=[("a21026", {"Avg": "1e12", "Flag": "N"})]),
        _pkt(t=T.replace(hour=11), items=[("a19001", {"Avg": "20.9"}), ("S03", {"Avg": "-300"})]),
        _pkt(t=T.replace(hour=12), items=[("a21026", {"Avg": "-3.5", "Cou": "1e9"})]),
        _pkt(t=T.replace(hour=13), items=[("a19001", {"Avg": "21.4"}), ("a00000", {"Avg": "0"})]),
    ]
    r = parse_files([write_log(lines)])
    got = r.rejects.select("line_no", "reason").rows()
    assert got == [(1, "out_of_range:a21026-Avg"), (2, "out_of_range:S03-Avg")]
    assert "above 3e+06 mg/m3" in r.rejects["detail"][0]
    assert "below -273.15 degC" in r.rejects["detail"][1]
    # negative concentrations, big Cou, O2 above 21 %: loaded, for the detectors and suites
    assert sorted(set(r.values["line_no"].to_list())) == [3, 4]
