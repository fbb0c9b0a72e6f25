"""The overview page of a build (`exports/reports/overview.html`, beside `anomalies.html`).

One self-contained HTML file (inline CSS and SVG charts from matplotlib, no script, no external
asset: it opens offline) that answers what the office is asked most: what the county emits, by
pollutant and method, township, industry and month; who the largest emitters are; how long
the action lists are; how the townships rank on air quality and dust-fall, and where the
hotspots were; how complete the CEMS data is. Every value that came from an input file is
HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.detectors.report import CSS
from dagster_project.reports import charts

POLLUTANTS_ZH = {"so2": "SO2", "nox": "NOx", "pm": "颗粒物", "voc": "VOCs", "nh3": "NH3"}
METHODS_ZH = {
    "cems": "在线监测",
    "cems_calibrated": "在线监测校准",
    "manual_test": "手工监测",
    "mass_balance": "物料衡算",
    "factor": "排放因子",
}
ACTION_LISTS = {
    "action_ultra_low_exceedances": "超低排放限值超标 (任务1、17)",
    "action_clean_transport": "清洁运输 (任务10、14)",
    "action_kilns": "工业炉窑 (任务19、20、22)",
    "action_boilers": "锅炉 (任务21)",
    "action_ammonia_slip": "氨逃逸监测 (任务22)",
    "action_voc": "VOCs治理 (任务24-29)",
    "action_performance_grades": "绩效分级与错峰生产 (任务31、32)",
}
SECTIONS = (
    ("totals", "全县排放总量 · county totals by pollutant and method"),
    ("townships", "分乡镇排放 · emissions by township"),
    ("industries", "分行业排放 · emissions by industry"),
    ("months", "分月排放 · emissions by month"),
    ("top-emitters", "主要排放企业 · top emitters"),
    ("actions", "整治清单 · action lists"),
    ("rankings", "乡镇空气质量排名 · township rankings"),
    ("dustfall", "乡镇降尘 · dust-fall (任务13)"),
    ("hotspots", "高值热点 · hotspots (任务33)"),
    ("cems", "在线监测有效数据率 · CEMS valid-data rates"),
)
EXTRA_CSS = """nav a{margin-right:12px;font-size:13px}section{margin-bottom:24px}
td.n,th.n{text-align:right}.note{font-size:12px;color:#555;max-width:900px}
svg{max-width:100%;height:auto}"""


def _esc(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:,.0f}"
    return html.escape(str(value))


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: set[int] | None = None
) -> str:
    numeric = numeric or set()
    head = "".join(
        f"<th{' class=n' if i in numeric else ''}>{html.escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=n' if i in numeric else ''}>{_esc(v)}</td>" for i, v in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    """Rows with DECIMAL values as floats (the marts keep tonnes as decimal(18, 6); the page
    adds and plots them)."""
    return [
        tuple(float(v) if isinstance(v, Decimal) else v for v in row)
        for row in con.execute(sql, params or []).fetchall()
    ]


def _exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        _rows(
            con,
            "select count(*) from information_schema.tables where table_schema = ? "
            "and table_name = ?",
            [schema, name],
        )[0][0]
    )


def _pivot(rows: list[tuple], keys: list[str], names: list[str]) -> dict[str, list[float]]:
    """rows of (key, name, value) -> {name: [value per key]}."""
    found = {(k, n): v for k, n, v in rows}
    return {POLLUTANTS_ZH.get(n, n): [found.get((k, n), 0.0) for k in keys] for n in names}


def _totals(con: duckdb.DuckDBPyConnection, year: int) -> str:
    rows = _rows(
        con,
        "select pollutant, method, cast(sum(emissions_t) as double) from marts.emissions "
        "where year = ? group by all order by 1, 2",
        [year],
    )
    ranges = {
        p: (t, lo, hi)
        for p, t, lo, hi in _rows(
            con,
            "select pollutant, cast(emissions_t as double), cast(emissions_low_t as double), "
            "cast(emissions_high_t as double) from marts.emissions_county_totals where year = ?",
            [year],
        )
    }
    pollutants = sorted({r[0] for r in rows})
    methods = sorted({r[1] for r in rows})
    by = {(p, m): t for p, m, t in rows}
    chart = charts.stacked_bars(
        [POLLUTANTS_ZH.get(p, p) for p in pollutants],
        {METHODS_ZH.get(m, m): [by.get((p, m), 0.0) for p in pollutants] for m in methods},
        f"{year} 排放量 t",
        height=2.6,
    )
    body = [
        [
            POLLUTANTS_ZH.get(p, p),
            *[by.get((p, m)) for m in methods],
            sum(by.get((p, m)) or 0 for m in methods),
            *(ranges.get(p, (None, None, None))[1:]),
        ]
        for p in pollutants
    ]
    headers = [
        "污染物 (t)",
        *[f"{METHODS_ZH.get(m, m)} {m}" for m in methods],
        "合计 total",
        "下限 low (95 %)",
        "上限 high (95 %)",
    ]
    return (
        chart
        + table(headers, body, set(range(1, len(headers))))
        + (
            '<p class="note">95 % ranges from each estimate\'s quality grade (A measured … E '
            "default factor); rows of one point and method are correlated, points independent "
            "(marts.emissions_county_totals).</p>"
        )
    )


def _by(
    con: duckdb.DuckDBPyConnection, year: int, key_sql: str, label: str, *, horizontal: bool
) -> str:
    rows = _rows(
        con,
        f"""select {key_sql} as k, e.pollutant, cast(sum(e.emissions_t) as double)
            from marts.emissions e
            left join staging.stg_registry__enterprises r using (enterprise_id)
            where e.year = ? group by all order by 1, 2""",
        [year],
    )
    totals: dict[str, float] = {}
    for k, _p, t in rows:
        totals[k] = totals.get(k, 0.0) + (t or 0.0)
    keys = sorted(totals, key=lambda k: (-totals[k], str(k)))  # ties in a fixed order
    pollutants = sorted({r[1] for r in rows})
    return charts.stacked_bars(
        keys,
        _pivot(rows, keys, pollutants),
        f"{year} 排放量 t ({label})",
        horizontal=horizontal,
        height=0.3 * len(keys) + 1.0 if horizontal else 3.0,
    )


def _months(con: duckdb.DuckDBPyConnection, year: int) -> str:
    rows = _rows(
        con,
        "select strftime(period_month, '%Y-%m'), pollutant, cast(sum(emissions_t) as double) "
        "from marts.emissions "
        "where year = ? group by all order by 1",
        [year],
    )
    months = sorted({r[0] for r in rows})
    pollutants = sorted({r[1] for r in rows})
    return charts.lines(months, _pivot(rows, months, pollutants), f"{year} 月排放量 t")


def _top_emitters(con: duckdb.DuckDBPyConnection, year: int) -> str:
    out = []
    for pollutant in ("so2", "nox", "pm", "voc"):
        rows = _rows(
            con,
            """select r.name, e.enterprise_id, r.township, r.key_industry,
                      cast(sum(e.emissions_t) as double) as t,
                      cast(sum(e.emissions_t) / sum(sum(e.emissions_t)) over () as double) as share,
                      string_agg(distinct e.method, ',' order by e.method)
               from marts.emissions e
               left join staging.stg_registry__enterprises r using (enterprise_id)
               where e.year = ? and e.pollutant = ? group by all
               order by t desc, e.enterprise_id limit 8""",
            [year, pollutant],
        )
        out.append(f"<h3>{POLLUTANTS_ZH[pollutant]}</h3>")
        out.append(
            table(
                ["企业名称", "统一社会信用代码", "乡镇", "重点行业", "排放量 t", "占全县", "方法"],
                [(*r[:4], r[4], f"{(r[5] or 0):.1%}", r[6]) for r in rows],
                {4, 5},
            )
        )
    return "".join(out)


def _actions(con: duckdb.DuckDBPyConnection) -> str:
    rows = []
    for name, label in ACTION_LISTS.items():
        if _exists(con, "marts", name):
            n, ents = _rows(
                con, f"select count(*), count(distinct enterprise_id) from marts.{name}"
            )[0]
            rows.append((label, name, n, ents))
    chart = charts.stacked_bars(
        [r[0] for r in rows],
        {"rows": [r[2] for r in rows]},
        "items to act on",
        horizontal=True,
        height=2.4,
    )
    return chart + table(["清单", "mart", "条目 items", "企业 enterprises"], rows, {2, 3})


def _rankings(con: duckdb.DuckDBPyConnection) -> str:
    latest = _rows(con, "select max(period_month) from marts.air_quality_rankings")[0][0]
    if latest is None:
        return "<p>No ambient data in this build.</p>"
    out = []
    for period_type, title in (
        ("month", f"{latest:%Y-%m} 月"),
        ("ytd", f"{latest:%Y} 年1月至{latest:%m}月累计"),
    ):
        rows = _rows(
            con,
            """select c.entity_name, c.value, c.rank, p.value, p.rank, m.good_day_share,
                      c.not_ranked_reason
               from marts.air_quality_rankings c
               join marts.air_quality_rankings p
                 using (scope, period_type, period_month, entity_code)
               join marts.air_quality_monthly m
                 on m.station_code = c.station_code and m.period_type = c.period_type
                and m.period_month = c.period_month
               where c.scope = 'township' and c.metric = 'composite_index' and p.metric = 'pm25'
                 and c.period_type = ? and c.period_month = ?
               order by c.rank nulls last, p.rank, c.entity_name""",
            [period_type, latest],
        )
        out.append(f"<h3>{title}</h3>")
        out.append(
            charts.stacked_bars(
                [r[0] for r in rows],
                {"综合指数": [r[1] or 0 for r in rows]},
                "综合指数 composite index",
                horizontal=True,
                height=0.3 * len(rows) + 0.8,
            )
        )
        out.append(
            table(
                [
                    "乡镇",
                    "综合指数",
                    "排名",
                    "PM2.5 µg/m³",
                    "PM2.5排名",
                    "优良天数比例",
                    "未排名原因",
                ],
                [
                    (r[0], r[1], r[2], r[3], r[4], None if r[5] is None else f"{r[5]:.1%}", r[6])
                    for r in rows
                ],
                {1, 2, 3, 4, 5},
            )
        )
    out.append(
        '<p class="note">Rank 1 = best; equal values share a rank. The rule and the data '
        "behind every rank are in marts.air_quality_rankings (rule_zh, basis).</p>"
    )
    return "".join(out)


def _dustfall(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        "select township, strftime(period_month, '%Y-%m'), dustfall_t_km2_month, "
        "limit_t_km2_month from marts.dustfall_township_monthly order by 1, 2",
    )
    if not rows:
        return "<p>No dust-fall data in this build.</p>"
    townships = sorted({r[0] for r in rows})
    months = sorted({r[1] for r in rows})
    by = {(r[0], r[1]): r[2] for r in rows}
    limit = rows[0][3]
    grid = [[by.get((t, m)) for m in months] for t in townships]
    exceed = _rows(
        con,
        "select township, strftime(period_month, '%Y-%m'), dustfall_t_km2_month, "
        "excess_t_km2_month, rank, point_values from marts.dustfall_exceedances "
        "order by period_month desc, excess_t_km2_month desc, township limit 15",
    )
    return (
        charts.heatmap(townships, months, grid, "t/(km²·月)", threshold=limit)
        + f'<p class="note">Bold red: above the task-13 limit of {_esc(limit)} t/(km²·month).</p>'
        + table(["乡镇", "月份", "降尘量", "超出", "当月排名", "各点位"], exceed, {2, 3, 4})
    )


def _hotspots(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        """select station_name, township, pollutant_zh, hour_start, value, unit,
                                neighbour_median, ratio from marts.air_quality_hotspots
                         order by hour_start, station_name""",
    )
    counts = _rows(
        con,
        "select station_name, count(*) from marts.air_quality_hotspots "
        "group by 1 order by 2 desc, 1",
    )
    chart = (
        charts.stacked_bars(
            [c[0] for c in counts],
            {"hours": [c[1] for c in counts]},
            "hotspot hours",
            horizontal=True,
            height=0.3 * len(counts) + 0.8,
        )
        if counts
        else ""
    )
    return chart + table(
        ["站点", "乡镇", "污染物", "小时开始", "浓度", "单位", "周边中位数", "倍数"],
        rows,
        {4, 6, 7},
    )


def _cems(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        """select v.enterprise_id, r.name, v.outlet_id, v.mn, v.pollutant_code,
                                v.quarter_start, v.valid_rate
                         from marts.cems_quarterly_valid_rate v
                         left join staging.stg_registry__enterprises r using (enterprise_id)
                         order by v.valid_rate, v.mn, v.pollutant_code""",
    )
    if not rows:
        return "<p>No CEMS data in this build.</p>"
    chart = charts.histogram(
        [r[6] or 0 for r in rows],
        "quarterly valid-data rate 有效数据率",
        line=(0.75, "75 %: CEMS counts for the inventory"),
    )
    low = [(*r[:6], f"{(r[6] or 0):.1%}") for r in rows[:15]]  # the 15 lowest
    return chart + table(
        ["统一社会信用代码", "企业名称", "排放口", "MN", "污染物", "季度", "有效数据率"], low, {6}
    )


def write_overview(con: duckdb.DuckDBPyConnection, path: Path, build_id: str = "") -> Path:
    """Write the overview page of the warehouse behind `con`; returns its path."""
    years = [r[0] for r in _rows(con, "select distinct year from marts.emissions order by 1")]
    year = years[-1] if years else None
    body: dict[str, str] = {}
    if year is not None:
        body["totals"] = _totals(con, year)
        body["townships"] = _by(con, year, "coalesce(r.township, '?')", "乡镇", horizontal=True)
        body["industries"] = _by(
            con, year, "coalesce(r.key_industry, '?')", "重点行业", horizontal=True
        )
        body["months"] = _months(con, year)
        body["top-emitters"] = _top_emitters(con, year)
    body["actions"] = _actions(con)
    body["rankings"] = _rankings(con)
    body["dustfall"] = _dustfall(con)
    body["hotspots"] = _hotspots(con)
    body["cems"] = _cems(con)
    nav = "".join(
        f'<a href="#{sid}">{html.escape(title.split(" · ")[0])}</a>' for sid, title in SECTIONS
    )
    sections = "".join(
        f'<section id="{sid}"><h2>{html.escape(title)}</h2>'
        f"{body.get(sid, '<p>No data in this build.</p>')}</section>"
        for sid, title in SECTIONS
    )
    doc = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>孟州市蓝天保卫战 · overview</title><style>{CSS}\n{EXTRA_CSS}</style></head><body>"
        f"<h1>孟州市大气污染源排放清单与空气质量概览 · overview"
        # no build id or time: two builds of the same sources write the same page
        f" ({html.escape(str(year or ''))})</h1>"
        f'<nav>{nav}</nav><p><a href="anomalies.html">自动监控数据异常线索 · anomaly findings'
        "</a></p>"
        f"{sections}</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc, encoding="utf-8")
    return path
