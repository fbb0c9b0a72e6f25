"""A hostile-input corpus: a slice of the sample county plus the inputs a careless vendor or an
attacker sends. `write_corpus(root)` writes it and returns what the build must make of it.

Each case names the reject rows it must give (feed, source_file, line_no, reason). A password
(`SECRET`) is planted in packets of every kind: valid, glued to QN, in a CP flag, in a reply,
in garbage and in a cut line. It must survive nowhere.
"""

from __future__ import annotations

import gzip
import random
import shutil
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl

from dagster_project.hj212.writer import frame, packet

SECRET = "Hunter2qZx"
MN = "4108830A5C1D741E22AE4CE3"  # a registry outlet whose log is not in the slice
T0 = datetime(2023, 11, 2)
BOILER_HEADER = "统一社会信用代码,锅炉编号,燃料类型,额定蒸发量(t/h),运行状态,企业名称"
E_BOILER = "91410883289505711Y"  # an enterprise of the registry
E_DUP = "91410883186954549B"  # listed twice in the registry, with different names

SLICE = (
    "registry/enterprises.csv",
    "registry/outlets.csv",
    "registry/outlet_limits.csv",
    "cems/chengbo/4108830BF096E108586C9703_202311.log.gz",
    "boilers/boilers_gudan.csv",
    "kilns/kilns_huaishu.csv",
    "voc/voc_chengbo.csv",
    "activity/activity_chengbo_2023.csv",
    "manual_tests/stack_tests_2023.csv",
    "transport/gate_91410883164217468Q_202311.csv",
)
CUT_LOG = "cems/heyang/41088308B5F3A53A9A76891C_202311.log.gz"


@dataclass
class Expected:
    rejects: set[tuple[str, str, int, str]] = field(default_factory=set)  # feed, file, line, why
    file_problems: set[str] = field(default_factory=set)  # files the summary lists first
    loaded_lines: dict[str, int] = field(default_factory=dict)  # file -> records loaded


def _hour(i: int, **kw: object) -> str:
    t = T0 + timedelta(hours=i)
    kw.setdefault("items", [("a21026", {"Avg": "12.5", "Flag": "N"})])
    return packet(
        qn=f"{t + timedelta(hours=1):%Y%m%d%H%M%S}123",
        st="31",
        cn="2061",
        mn=MN,
        pw=SECRET,
        data_time=t,
        **kw,  # type: ignore[arg-type]
    ).rstrip("\r\n")


def _packet_log(root: Path, exp: Expected) -> None:
    glued_qn = frame(
        f"QN=20231102140035207PW={SECRET};ST=31;CN=2061;MN={MN};Flag=4;"
        "CP=&&DataTime=20231102130000;a21026-Avg=1.0,a21026-Flag=N&&"
    ).rstrip()
    flag_leak = frame(
        f"QN=20231102150035207;ST=31;CN=2061;PW=123456;MN={MN};Flag=4;"
        f"CP=&&DataTime=20231102140000;a21026-Avg=1.0;a21026-Flag=N=PW={SECRET}&&"
    ).rstrip()
    set_password = packet(  # CN 1072: set the access password; a device event, CP masked
        qn="20231102160000000",
        st="91",
        cn="1072",
        mn=MN,
        pw=SECRET,
        data_time=None,
        items=[],
        extra_cp=[f"NewPW={SECRET}"],
    ).rstrip()
    bad_crc = _hour(3)[:-4] + "0000"
    lines = [
        _hour(0),  # 1 loaded, its PW dropped
        glued_qn,  # 2 bad_header: a lost ';' glues PW to QN
        flag_leak,  # 3 bad_value: a second '=' in a flag
        set_password,  # 4 loaded as an event, NewPW masked
        "\x00\x00\x00",  # 5 a NUL-only line: a reject, not a blank
        "",  # 6 blank: not a record
        f"garbage##0042 PW={SECRET} ##1234 more",  # 7 one record, not three
        bad_crc,  # 8 crc_mismatch, raw text masked
        _hour(4, items=[("a21026", {"Avg": "1e12", "Flag": "N"})]),  # 9 out_of_range
        _hour(5, items=[("a19001", {"Avg": "21.6", "Flag": "N"})]),  # 10 O2 > 21: loaded
        _hour(6)[: len(_hour(6)) // 2],  # 11 a packet cut by the logger: truncated
    ]
    path = root / "cems/hostile/4108830A5C1D741E22AE4CE3_202311.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("\r\n".join(lines).encode() + b"\r\n")
    rel = "cems/hostile/4108830A5C1D741E22AE4CE3_202311.log"
    for line, why in (
        (2, "bad_header"),
        (3, "bad_value"),
        (5, "bad_header"),
        (7, "bad_header"),
        (8, "crc_mismatch"),
        (9, "out_of_range:a21026-Avg"),
        (11, "truncated"),
    ):
        exp.rejects.add(("cems", rel, line, why))
    exp.loaded_lines[rel] = 3


def _cut_gzip(sample: Path, root: Path, exp: Expected) -> None:
    """A delivered log cut at 60 % of its bytes (a half-copied file)."""
    data = (sample / CUT_LOG).read_bytes()
    cut = data[: int(len(data) * 0.6)]
    out = root / CUT_LOG
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(cut)
    # every whole line zlib recovers from the cut bytes must load
    whole_lines = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut).count(b"\n")
    assert 0 < whole_lines < gzip.decompress(data).count(b"\n")
    exp.rejects.add(("cems", CUT_LOG, whole_lines + 1, "truncated_file"))
    exp.file_problems.add(CUT_LOG)
    exp.loaded_lines[CUT_LOG] = whole_lines


def _broken_files(root: Path, exp: Expected) -> None:
    gzip_header = gzip.compress(b"")[:10]
    cases = {  # file: bytes, reason, line (0: the file as a whole; else where reading stopped)
        "cems/hostile/zero_bytes.log.gz": (b"", "empty_file", 0),
        "cems/hostile/not_really.log.gz": (gzip_header + b"\xff" * 600, "unreadable_file", 1),
        "boilers/boilers_random.xlsx": (random.Random(10).randbytes(4096), "unreadable_file", 0),
        "kilns/kilns_empty.csv": (b"", "empty_file", 0),
        "voc/voc_blank.csv": (b"\xef\xbb\xbf\r\n  \r\n", "empty_file", 0),
    }
    for rel, (data, why, line) in cases.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        exp.rejects.add((rel.split("/")[0], rel, line, why))
        exp.file_problems.add(rel)


def _boiler_ledgers(root: Path, exp: Expected) -> None:
    rows = [
        BOILER_HEADER,
        f"{E_BOILER},HX01,gas,4,in_use,孟州市文鳐生物质能源有限公司",
        f"{E_BOILER},HX02,gas,1e12,in_use,孟州市文鳐生物质能源有限公司",  # out_of_range
        f"{E_BOILER},HX03,gas,abc,in_use,孟州市文鳐生物质能源有限公司",  # bad_value
        "\x00\x00",  # NUL-only line: one reject
        "",  # blank: not a record
        f"{E_BOILER},HX04,peat,6,in_use,孟州市文鳐生物质能源有限公司",  # loaded, warned
        f"{E_BOILER},HX05,gas,8,in_use,孟州市文鳐生物质能源有限公司",  # duplicate (differs)
        f"{E_BOILER},HX06,gas,10,in_use,孟州市文鳐生物质能源有限公司",  # cut mid-character
    ]
    data = "\r\n".join(rows).encode("gbk")
    path = root / "boilers/boilers_hostile.csv"
    path.write_bytes(data[: data.rindex("孟".encode("gbk")) + 1])
    second = "\r\n".join(
        [BOILER_HEADER, f"{E_BOILER},HX05,coal,8,in_use,孟州市文鳐生物质能源有限公司"]
    )
    (root / "boilers/boilers_hostile_2.csv").write_bytes(second.encode("gbk") + b"\r\n")
    f1, f2 = "boilers/boilers_hostile.csv", "boilers/boilers_hostile_2.csv"
    exp.rejects |= {
        ("boilers", f1, 3, "out_of_range:capacity_t_h"),
        ("boilers", f1, 4, "bad_value:capacity_t_h='abc'"),
        ("boilers", f1, 5, "malformed_row"),
        ("boilers", f1, 8, "duplicate_key"),
        ("boilers", f2, 2, "duplicate_key"),
        ("boilers", f1, 9, "truncated_row"),
    }
    exp.file_problems.add(f1)  # it ends mid-row: the rest may be missing
    exp.loaded_lines[f1] = 2
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "锅炉台账"
    ws.append(BOILER_HEADER.split(","))
    ws.append([E_BOILER, "HX07", "gas", "=2*3", "in_use", "x"])  # formula without a value
    ws.append([E_BOILER, "HX08", "gas", 3, "in_use", "x"])
    wb.save(root / "boilers/boilers_formula.xlsx")
    exp.rejects.add(
        ("boilers", "boilers/boilers_formula.xlsx", 2, "formula_without_value:capacity_t_h")
    )
    exp.loaded_lines["boilers/boilers_formula.xlsx"] = 1


def _registry_duplicates(root: Path, exp: Expected) -> None:
    original = (root / "registry/enterprises.csv").read_text(encoding="utf-8").splitlines()
    header, row = original[0], next(r for r in original if r.startswith(E_DUP))
    renamed = row.replace("飞鼠热电", "飞鼠热力")  # the same key, another name
    extra = root / "registry/enterprises_2.csv"
    extra.write_text(f"{header}\n{renamed}\n", encoding="utf-8")
    line = original.index(row) + 1
    exp.rejects |= {
        ("registry_enterprises", "registry/enterprises.csv", line, "duplicate_key"),
        ("registry_enterprises", "registry/enterprises_2.csv", 2, "duplicate_key"),
    }


def write_corpus(sample: Path, root: Path) -> Expected:
    """Write the hostile sources folder under `root` from the sample folder `sample`."""
    exp = Expected()
    for rel in SLICE:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(sample / rel, root / rel)
    _packet_log(root, exp)
    _cut_gzip(sample, root, exp)
    _broken_files(root, exp)
    _boiler_ledgers(root, exp)
    _registry_duplicates(root, exp)
    return exp
