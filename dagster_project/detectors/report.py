"""The inspector's view: one self-contained HTML file (inline SVG, no external JS/CSS) with a small
chart per finding — the pollutant (measured, converted), its limit, O2 and flow over the window —
so a person sees at a glance why it was raised."""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from dagster_project.detectors.findings import ANOMALY_TYPES

TYPE_LABELS_ZH = {
    "exceedance": "超标",
    "masked_exceedance": "标记掩盖超标",
    "missing_data": "数据缺失",
    "zero_while_operating": "运行中零值",
    "negative_value": "负值",
    "over_range": "超量程",
    "constant_value": "恒值",
    "narrow_band": "窄幅波动",
    "detection_limit_hugging": "贴检出限",
    "bunching_below_limit": "贴限排放",
    "capped_value": "设限值",
    "digit_anomaly": "数字异常",
    "step_change": "陡升陡降",
    "rescaled_signal": "系数调整",
    "o2_manipulation": "氧含量异常",
    "dilution": "稀释",
    "arithmetic_inconsistency": "计算不一致",
    "flow_load_inconsistency": "流量负荷不符",
    "cross_sensor_inconsistency": "参数关联异常",
    "calibration_timing": "校准时机异常",
    "flag_abuse": "标记滥用",
    "strategic_gap": "选择性缺失",
    "copy_paste": "数据复制",
    "periodic_pattern": "程序化规律",
    "reference_disagreement": "比对不符",
    "fingerprint_drift": "特征漂移",
}

W, PANEL_H, LEFT, TOP = 640, 64, 46, 8
MAX_WINDOW = timedelta(days=10)


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    pad = max(timedelta(hours=12), (end - start) / 4)
    a, b = start - pad, end + pad
    if b - a > MAX_WINDOW:  # very long findings: show their start
        a, b = start - timedelta(hours=24), start - timedelta(hours=24) + MAX_WINDOW
    return a, b


def _panel(
    y0: float,
    series: list[tuple[list[float], list[float], str, str]],
    lines: list[tuple[float, str, str]],
    label: str,
    from_zero: bool = False,
) -> str:
    vals = [v for xs, ys, _, _ in series for v in ys if v == v] + [v for v, _, _ in lines]
    if not vals:
        y = y0 + PANEL_H / 2
        return f'<text x="{LEFT}" y="{y:.0f}" class="m">{html.escape(label)}: no data</text>'
    lo, hi = (min([*vals, 0.0]) if from_zero else min(vals)), max(vals)
    hi = hi if hi > lo else lo + 1
    sy = lambda v: y0 + PANEL_H - (v - lo) / (hi - lo) * PANEL_H  # noqa: E731
    out = [
        f'<rect x="{LEFT}" y="{y0}" width="{W - LEFT - 8}" height="{PANEL_H}" class="f"/>',
        f'<text x="{LEFT - 4}" y="{y0 + 9}" class="a" text-anchor="end">{hi:.3g}</text>',
        f'<text x="{LEFT - 4}" y="{y0 + PANEL_H}" class="a" text-anchor="end">{lo:.3g}</text>',
        f'<text x="{LEFT + 4}" y="{y0 + 10}" class="l">{html.escape(label)}</text>',
    ]
    for xs, ys, color, dash in series:
        segs, cur = [], []
        for x, y in zip(xs, ys, strict=True):
            if y == y:
                cur.append(f"{x:.0f},{sy(y):.1f}")
            elif cur:
                segs.append(cur)
                cur = []
        if cur:
            segs.append(cur)
        for seg in segs:
            out.append(
                f'<polyline points="{" ".join(seg)}" stroke="{color}" fill="none" '
                f'stroke-width="1.2"{dash}/>'
            )
    for v, color, name in lines:
        out.append(
            f'<line x1="{LEFT}" x2="{W - 8}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="{color}" '
            f'stroke-dasharray="4,3"/><text x="{W - 10}" y="{sy(v) - 2:.1f}" class="a" '
            f'text-anchor="end" fill="{color}">{html.escape(name)} {v:.3g}</text>'
        )
    return "".join(out)


def chart(finding: dict, hourly: pl.DataFrame, outlets: pl.DataFrame) -> str:
    """SVG for one finding: pollutant(s) with limit, O2, flow; the finding's window shaded."""
    a, b = _window(finding["start_time"], finding["end_time"])
    h = hourly.filter((pl.col("mn") == finding["mn"]) & pl.col("hour_start").is_between(a, b))
    pol = finding["pollutant_code"]
    meta = outlets.filter(pl.col("mn") == finding["mn"])
    span_s = max((b - a).total_seconds(), 1.0)
    sx = lambda t: LEFT + (t - a).total_seconds() / span_s * (W - LEFT - 8)  # noqa: E731
    device = h.unique(["hour_start"]).sort("hour_start")
    dx = [sx(t) for t in device["hour_start"].to_list()]
    colors = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b"]
    conc_series, lines = [], []
    pols = [pol] if pol else sorted(h["pollutant_code"].unique().to_list())[:4]
    for i, p in enumerate(pols):
        hp = h.filter(pl.col("pollutant_code") == p).sort("hour_start")
        xs = [sx(t) for t in hp["hour_start"].to_list()]
        conc_series.append((xs, hp["avg_measured"].fill_null(np.nan).to_list(), colors[i % 4], ""))
        m = meta.filter(pl.col("pollutant_code") == p)
        if pol and m.height and m["reference_o2"][0] is not None:
            conc_series.append(
                (
                    xs,
                    hp["avg_converted"].fill_null(np.nan).to_list(),
                    "#ff7f0e",
                    ' stroke-dasharray="3,2"',
                )
            )
        if pol and m.height and m["limit_mg_m3"][0] is not None:
            lines.append((float(m["limit_mg_m3"][0]), "#d62728", "limit"))
    label = (
        f"{pol} mg/m³ (solid measured, dashed converted)" if pol else "mg/m³: " + ", ".join(pols)
    )
    x0, x1 = sx(max(finding["start_time"], a)), sx(min(finding["end_time"] + timedelta(hours=1), b))
    height = TOP + 3 * (PANEL_H + 14) + 12
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" '
        f'viewBox="0 0 {W} {height}" class="c">',
        f'<rect x="{x0:.1f}" y="{TOP}" width="{max(x1 - x0, 2):.1f}" height="{3 * (PANEL_H + 14)}" '
        f'fill="#fde2e2"/>',
        _panel(TOP, conc_series, lines, label, from_zero=True),
        _panel(
            TOP + PANEL_H + 14,
            [(dx, device["o2"].fill_null(np.nan).to_list(), "#17becf", "")],
            [],
            "O2 %",
        ),
        _panel(
            TOP + 2 * (PANEL_H + 14),
            [(dx, device["flow_m3_s"].fill_null(np.nan).to_list(), "#7f7f7f", "")],
            [],
            "flow m³/s",
            from_zero=True,
        ),
        f'<text x="{LEFT}" y="{height - 2}" class="a">{a:%Y-%m-%d %H:%M}</text>',
        f'<text x="{W - 8}" y="{height - 2}" class="a" text-anchor="end">{b:%Y-%m-%d %H:%M}</text>',
        "</svg>",
    ]
    return "".join(parts)


CSS = """body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
.card{border:1px solid #ddd;border-radius:4px;padding:8px 12px;margin:10px 0;max-width:900px}
.card h3{font-size:14px;margin:0 0 4px}
.sev-high{color:#b00}.sev-medium{color:#b60}.sev-low{color:#555}
.ev{font-family:monospace;font-size:12px;white-space:pre-wrap;background:#f7f7f7;padding:4px}
.f{fill:#fff;stroke:#ccc}.l{font-size:10px;fill:#333}.a{font-size:9px;fill:#666}.m{font-size:11px}
.basis{font-size:12px;color:#444}"""


def _card(f: dict, svg: str, name: str = "") -> str:
    """One finding: who, what, when, the rule it rests on, its evidence and its chart."""
    ev = json.loads(f["evidence"])
    esc = html.escape

    def js(key: str, limit: int = 600) -> str:
        return esc(json.dumps(ev.get(key), ensure_ascii=False)[:limit])

    who = " · ".join(
        esc(str(x or "")) for x in (name, f["enterprise_id"], f["outlet_id"], f["mn"]) if x
    )
    when = f"{f['start_time']:%Y-%m-%d %H:%M} → {f['end_time']:%Y-%m-%d %H:%M}"
    return (
        f'<div class="card" id="{f["anomaly_id"]}"><h3><span class="sev-{f["severity"]}">'
        f"[{f['severity']}]</span> {who} · {esc(f['pollutant_code'] or 'device')} · {when}</h3>"
        f'<div class="basis">{esc(f["rule_basis"])} · detector {esc(f["detector"])}</div>'
        f'<div class="ev">statistic: {js("statistic")}\nthreshold: {js("threshold")}'
        f"\nvalues: {js('values')}</div>{svg}</div>"
    )


def write_report(
    path: Path,
    findings: pl.DataFrame,
    hourly: pl.DataFrame,
    outlets: pl.DataFrame,
    ranking: pl.DataFrame | None = None,
    build_id: str = "",
    names: dict[str, str] | None = None,
) -> Path:
    """Write the report; `names` maps enterprise_id to the enterprise's name where known."""
    names = names or {}
    path.parent.mkdir(parents=True, exist_ok=True)
    counts = dict(findings.group_by("anomaly_type").len().iter_rows()) if findings.height else {}
    body = [
        # No build id or time: two builds of the same sources write the same report.
        "<h1>自动监控数据异常线索 · anomaly findings</h1>",
        f"<p>{findings.height} findings. Shaded: the finding's window. "
        "Red dashed line: hourly limit.</p>",
        "<h2>By type</h2><table><tr><th>type</th><th>类型</th><th>findings</th></tr>",
    ]
    for t in ANOMALY_TYPES:
        body.append(
            f'<tr><td><a href="#{t}">{t}</a></td><td>{TYPE_LABELS_ZH[t]}</td>'
            f"<td>{counts.get(t, 0)}</td></tr>"
        )
    body.append("</table>")
    if ranking is not None and ranking.height:
        body.append(
            "<h2>Risk ranking (top 20)</h2><table><tr><th>level</th><th>rank</th>"
            "<th>enterprise</th><th>outlet</th><th>score</th><th>findings</th><th>types</th></tr>"
        )
        for r in ranking.filter(pl.col("rank") <= 10).iter_rows(named=True):
            ent = f"{names.get(r['enterprise_id'], '')} {r['enterprise_id']}".strip()
            body.append(
                f"<tr><td>{r['level']}</td><td>{r['rank']}</td><td>{html.escape(ent)}"
                f"</td><td>{html.escape(str(r['outlet_id'] or ''))}</td><td>{r['score']:.1f}</td>"
                f"<td>{r['findings']}</td><td>{html.escape(r['types'] or '')}</td></tr>"
            )
        body.append("</table>")
    for t in ANOMALY_TYPES:
        sub = findings.filter(pl.col("anomaly_type") == t).sort("mn", "start_time")
        if sub.height == 0:
            continue
        body.append(f'<h2 id="{t}">{t} · {TYPE_LABELS_ZH[t]} ({sub.height})</h2>')
        for f in sub.iter_rows(named=True):
            body.append(
                _card(f, chart(f, hourly, outlets), names.get(f["enterprise_id"] or "", ""))
            )
    doc = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>anomaly findings</title><style>{CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>"
    )
    path.write_text(doc, encoding="utf-8")
    return path
