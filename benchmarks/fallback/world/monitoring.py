"""What the second world's monitoring records: HJ 212 hourly packets from its CEMS and the
manual stack tests of the environmental monitoring station.

CEMS: each analyser has its own bias and a weekly calibration drift, the flow meter its own
bias; stopped hours are flagged F (except on loggers that keep sending N), a few maintenance
hours M, analyser faults D (the reading freezes), and logger outages leave hours with no packet
at all, sometimes for a week or more. A township's platform exports one file per month with all
its loggers' packets in the order they arrived.

Stack tests: CEMS outlets twice a year, the others once a quarter, on a working day while the
unit runs for three hours. Where the test is scheduled follows the plant's habit: any running
hour, the lowest loads (a boiler turned down for the test team), or just after a service (fresh
activated carbon, an overhauled desulfurizer, new bags).
"""

from __future__ import annotations

import gzip
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from fallback.world.calendar import Hours, random_stops
from fallback.world.physics import UnitYear
from fallback.world.plants import Plant, Stack

from dagster_project.hj212.writer import packet

CODES = {"pm": "a34013", "so2": "a21026", "nox": "a21002", "nh3": "a21001", "voc": "a24088"}
SLUGS = {
    "大定街道": "dading",
    "会昌街道": "huichang",
    "河雍街道": "heyong",
    "河阳街道": "heyang",
    "化工镇": "huagong",
    "南庄镇": "nanzhuang",
    "城伯镇": "chengbo",
    "谷旦镇": "gudan",
    "西虢镇": "xiguo",
    "赵和镇": "zhaohe",
    "槐树乡": "huaishu",
}


def stack_mg_m3(y: UnitYear, pollutant: str) -> np.ndarray:
    """Concentration at the stack (standard dry) as an analyser reports it: NMHC as carbon."""
    assert y.flow is not None
    kg = y.kg[pollutant] * (y.carbon_fraction if pollutant == "voc" else 1.0)
    return np.where(y.flow > 0, kg / np.maximum(y.flow, 1e-9) * 1e6, 0.0)


def converted(s: Stack, mg_m3: np.ndarray, o2: np.ndarray) -> np.ndarray:
    if s.ref_o2 is None:
        return mg_m3
    return mg_m3 * (21 - s.ref_o2) / np.maximum(21 - o2, 0.5)


# ----------------------------------------------------------------------------- CEMS
@dataclass
class Recording:
    """One logger's hourly record over the year: device flag (None: no packet), per-pollutant
    flags and measured values, flow and flue-gas parameters as sent."""

    stack: Stack
    township: str
    sent: np.ndarray  # bool
    flag: np.ndarray  # device flag per hour: N, F, M
    pollutant_flag: dict[str, np.ndarray]
    avg: dict[str, np.ndarray]
    flow_m3_s: np.ndarray
    o2: np.ndarray
    temp: np.ndarray
    humidity: np.ndarray
    pressure: np.ndarray
    velocity: np.ndarray


def record(y: UnitYear, township: str, h: Hours, seed: int) -> Recording:
    s = y.unit.stack
    assert s is not None and s.mn is not None and y.flow is not None and y.o2 is not None
    rng = np.random.default_rng([seed, zlib.crc32(s.mn.encode()), 212])
    n = h.n
    run = y.run
    flag = np.where(run | (not s.marks_stopped), "N", "F").astype("<U1")
    for month in range(1, 13):  # a few hours of maintenance every month while running
        hours = np.flatnonzero((h.month == month) & run)
        if hours.size > 10:
            i = int(rng.choice(hours))
            flag[i : i + int(rng.integers(2, 5))] = "M"
    outages = np.zeros(n, dtype=bool)  # the logger sends nothing: 3-48 h, a few times a year
    for _ in range(int(rng.integers(3, 7))):
        i = int(rng.integers(0, n - 72))
        outages[i : i + int(rng.integers(3, 49))] = True
    if rng.random() < 0.35:  # one long outage: the logger's modem died
        i = int(rng.integers(0, n - 24 * 12))
        outages[i : i + 24 * int(rng.integers(5, 13))] = True
    faults = random_stops(h, rng, int(rng.integers(0, 3)), (1, 3))
    flow_bias = 1 + rng.normal(0, 0.04)
    q = y.flow * flow_bias * (1 + rng.normal(0, 0.01, n)) / 3600.0
    week = (np.arange(n) % 168) / 168.0 - 0.5
    avg: dict[str, np.ndarray] = {}
    pflag: dict[str, np.ndarray] = {}
    for p in s.pollutants:
        bias = 1 + rng.normal(0, 0.03) + rng.choice((-1, 1)) * 0.04 * week
        c = stack_mg_m3(y, p) * bias * (1 + rng.normal(0, 0.01, n))
        if not s.marks_stopped:  # a cold cupola still reads the analyser's zero offset
            c = np.where(run, c, np.abs(rng.normal(0.4, 0.2, n)))
        c = np.where(flag == "F", 0.0, c)
        frozen = faults & run
        if frozen.any():  # a faulty analyser repeats its last reading
            idx = np.maximum.accumulate(np.where(frozen, 0, np.arange(n)))
            c = np.where(frozen, c[idx], c)
        avg[p] = np.maximum(c, 0.0)
        pflag[p] = np.where(frozen, "D", flag)
    o2 = np.where(flag == "F", 20.9, y.o2 + rng.normal(0, 0.08, n))
    temp = y.temp if y.temp is not None else np.full(n, 20.0)
    return Recording(
        stack=s,
        township=township,
        sent=~outages,
        flag=flag,
        pollutant_flag=pflag,
        avg=avg,
        flow_m3_s=np.where(flag == "F", np.abs(q) * 0.2, q),
        o2=np.clip(o2, 0.5, 20.95),
        temp=temp,
        humidity=np.clip(rng.normal(9.0, 1.0, n), 2, 30),
        pressure=np.where(run, -0.6 + rng.normal(0, 0.05, n), -0.05),
        velocity=np.maximum(q / max(s.q_full / 3600 / 12.0, 1e-6), 0.0),
    )


def _f(x: float, d: int) -> str:
    return f"{x:.{d}f}"


def hour_packet(r: Recording, i: int, when: datetime, rng: np.random.Generator) -> str:
    s = r.stack
    assert s.mn is not None
    items: list[tuple[str, dict[str, str]]] = []
    q = float(r.flow_m3_s[i])
    o2 = round(float(r.o2[i]), 2)
    for p in s.pollutants:
        a = round(float(r.avg[p][i]), 3)
        lo, hi = a * (1 - rng.uniform(0.03, 0.25)), a * (1 + rng.uniform(0.03, 0.3))
        f = {"Avg": _f(a, 3), "Min": _f(lo, 3), "Max": _f(hi, 3)}
        if s.ref_o2 is not None:
            k = (21 - s.ref_o2) / max(21 - o2, 0.5)
            f |= {"ZsAvg": _f(a * k, 3), "ZsMin": _f(lo * k, 3), "ZsMax": _f(hi * k, 3)}
        f |= {"Cou": _f(a * round(q, 3) * 3600 * 1e-6, 4), "Flag": str(r.pollutant_flag[p][i])}
        items.append((CODES[p], f))
    flag = str(r.flag[i])
    items.append(
        (
            "a00000",
            {
                "Avg": _f(q, 3),
                "Min": _f(q * 0.95, 3),
                "Max": _f(q * 1.05, 3),
                "Cou": _f(round(q, 3) * 3600, 1),
                "Flag": flag,
            },
        )
    )
    for code, value, d in (
        ("a19001", o2, 2),
        ("a01012", float(r.temp[i]), 1),
        ("a01013", float(r.pressure[i]), 3),
        ("a01014", float(r.humidity[i]), 2),
        ("a01011", float(r.velocity[i]), 2),
    ):
        items.append(
            (code, {"Avg": _f(value, d), "Min": _f(value, d), "Max": _f(value, d), "Flag": flag})
        )
    sent = when + timedelta(hours=1, seconds=int(20 + zlib.crc32(s.mn.encode()) % 70))
    qn = f"{sent:%Y%m%d%H%M%S}{int(rng.integers(0, 1000)):03d}"
    return packet(
        qn=qn, st="31", cn="2061", mn=s.mn, pw="123456", flag=4, data_time=when, items=items
    )


def packets(
    r: Recording, h: Hours, first: int, last: int, seed: int
) -> Iterator[tuple[datetime, str]]:
    assert r.stack.mn is not None
    rng = np.random.default_rng([seed, zlib.crc32(r.stack.mn.encode()), 2061])
    for i in range(first, last):
        if r.sent[i]:
            when = h.datetime(i)
            yield when, hour_packet(r, i, when, rng)


def write_cems(
    out: Path, recordings: list[Recording], h: Hours, first: int, last: int, seed: int
) -> tuple[dict[str, int], int]:
    """cems/<township>/<yyyymm>.txt (gzip for every other township): all of a township's
    loggers in one monthly export, lines in arrival order. Returns (files, packets)."""
    by_file: dict[str, list[tuple[str, str]]] = defaultdict(list)
    count = 0
    towns = sorted(SLUGS)
    for r in recordings:
        slug = SLUGS[r.township]
        gz = towns.index(r.township) % 2 == 1
        for when, line in packets(r, h, first, last, seed):
            qn = line[line.index("QN=") + 3 : line.index("QN=") + 20]
            rel = f"cems/{slug}/{when:%Y%m}.txt" + (".gz" if gz else "")
            by_file[rel].append((qn, line))
            count += 1
    files = {}
    for rel, lines in sorted(by_file.items()):
        lines.sort()
        data = "".join(line for _, line in lines).encode("utf-8")
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".gz"):
            with (
                path.open("wb") as fh,
                gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as g,
            ):
                g.write(data)
        else:
            path.write_bytes(data)
        files[rel] = len(lines)
    return files, count


# ----------------------------------------------------------------------------- stack tests
def _test_start(y: UnitYear, h: Hours, window: np.ndarray, rng: np.random.Generator) -> int | None:
    hod = h.hour_of_day
    run3 = y.run & np.roll(y.run, -1) & np.roll(y.run, -2)
    ok = np.flatnonzero(window & run3 & (y.load > 0.3) & (hod >= 9) & (hod <= 14) & (h.weekday < 5))
    if ok.size == 0:
        return None
    habit = y.unit.stack.test_habit if y.unit.stack else "typical"
    if habit == "low_load":
        ok = ok[y.load[ok] <= np.quantile(y.load[ok], 0.3)]
    elif habit == "after_service" and y.services:
        fresh = ok[[any(0 <= i - s < 15 * 24 for s in y.services) for i in ok]]
        ok = fresh if fresh.size else ok
    return int(rng.choice(ok))


def stack_tests(plants: list[Plant], years: dict, h: Hours, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng([seed, 307])
    y0 = h.year
    rows: list[dict[str, Any]] = []
    n = 0
    for plant in plants:
        for u in plant.units:
            s, y = u.stack, years[(u.enterprise_id, u.unit_id)]
            if s is None:
                continue
            if s.mn:
                windows = [((3, 1), (6, 1)), ((9, 1), (12, 1))]
            else:
                windows = [
                    ((1, 1), (4, 1)),
                    ((4, 1), (7, 1)),
                    ((7, 1), (10, 1)),
                    ((10, 1), (12, 31)),
                ]
            for (m0, d0), (m1, d1) in windows:
                window = h.between(date(y0, m0, d0), date(y0, m1, d1))
                i = _test_start(y, h, window, rng)
                if i is None:
                    continue
                n += 1
                sl = slice(i, i + 3)
                assert y.flow is not None and y.o2 is not None
                o2 = float(np.mean(y.o2[sl]))
                for p in s.pollutants:
                    c = converted(s, stack_mg_m3(y, p)[sl], y.o2[sl])
                    rows.append(
                        {
                            "enterprise_id": u.enterprise_id,
                            "outlet_id": s.outlet_id,
                            "pollutant_code": CODES[p],
                            "test_date": h.datetime(i).date(),
                            "converted_mg_m3": round(
                                float(np.mean(c)) * (1 + rng.normal(0, 0.08)), 2
                            ),
                            "flow_m3_h": round(
                                float(np.mean(y.flow[sl])) * (1 + rng.normal(0, 0.06)), -1
                            ),
                            "o2_pct": round(o2, 1),
                            "report_no": f"HDJC-{y0}-{n:04d}",
                        }
                    )
    return rows
