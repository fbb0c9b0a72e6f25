"""The findings contract (marts.monitoring_anomalies) and helpers every detector uses."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

ANOMALY_TYPES: tuple[str, ...] = (
    "exceedance",
    "masked_exceedance",
    "missing_data",
    "zero_while_operating",
    "negative_value",
    "over_range",
    "constant_value",
    "narrow_band",
    "detection_limit_hugging",
    "bunching_below_limit",
    "capped_value",
    "digit_anomaly",
    "step_change",
    "rescaled_signal",
    "o2_manipulation",
    "dilution",
    "arithmetic_inconsistency",
    "flow_load_inconsistency",
    "cross_sensor_inconsistency",
    "calibration_timing",
    "flag_abuse",
    "strategic_gap",
    "copy_paste",
    "periodic_pattern",
    "reference_disagreement",
    "fingerprint_drift",
)

FINDINGS_SCHEMA: dict[str, pl.DataType] = {
    "anomaly_id": pl.String(),
    "mn": pl.String(),
    "outlet_id": pl.String(),
    "enterprise_id": pl.String(),
    "pollutant_code": pl.String(),
    "start_time": pl.Datetime("us"),
    "end_time": pl.Datetime("us"),
    "anomaly_type": pl.String(),
    "severity": pl.String(),
    "detector": pl.String(),
    "evidence": pl.String(),
    "rule_basis": pl.String(),
}

# What each finding rests on: the standard, rule or published method (falsification-notes §6).
RULE_BASIS: dict[str, str] = {
    # the SQL rules name the outlet's emission standard (int_anomalies__emission_standards)
    "exceedance": "D01: 1-h average above the permit limit; limit basis: the outlet's standard",
    "masked_exceedance": (
        "D01 mark-aware (公告2022年第21号: marked hours are not used to judge compliance): "
        "value above the permit limit under an M/C/D/F/S/B mark; limit basis: the outlet's standard"
    ),
    "missing_data": (
        "HJ 75/76-2017: hour valid with >= 45 valid minutes; absent or invalid hours (D02)"
    ),
    "zero_while_operating": (
        "零值 rule read with physics (Tianjin practice): zero while flow, O2 and "
        "temperature show operation (D03)"
    ),
    "negative_value": ("负值 platform rule; below −2 % of span (D04)"),
    "over_range": ("HJ 212-2017 Table 8 flag T (超测上限) or values at span (D05)"),
    "constant_value": (
        "恒值 rule made jitter-robust: frozen within a tolerance while operating (D06)"
    ),
    "narrow_band": (
        "2012 现场监督检查技术指南 item 21-22: variation within 2 % of span around a "
        "fixed value (D07)"
    ),
    "detection_limit_hugging": (
        "2012 现场监督检查技术指南 item 20: data long-term near the detection limit (D08)"
    ),
    "bunching_below_limit": (
        "贴限排放; density discontinuity at the limit (Ghanem & Zhang 2014) (D09)"
    ),
    "capped_value": ("设限值: a hard cap in the DAS; mass point at the maximum (D10)"),
    "digit_anomaly": ("digit/rounding heaping (de Marchi & Hamilton 2006) (D11)"),
    "step_change": (
        "陡升陡降 / parameter edits (环发〔2015〕175号 tampering item 8): level shift "
        "without a load change (D12)"
    ),
    "rescaled_signal": (
        "参数系数成倍调整 (环发〔2015〕175号 item 8; 法释〔2023〕7号): constant factor "
        "with unchanged shape and load (D13)"
    ),
    "o2_manipulation": (
        "O2 pushed toward O2_ref shrinks the converted value (HJ 75 conversion; CRAES "
        "patent, 杨先锋) (D14)"
    ),
    "dilution": (
        "稀释 (环发〔2015〕175号 item 4/6): O2 up and measured down at constant load (D14)"
    ),
    "arithmetic_inconsistency": (
        "HJ 212-2017 App. C/D and HJ 75: converted = C·(21−O2ref)/(21−O2); hour = mean of "
        "minutes; Cou = Avg·flow·3600; flag N only with >= 75 % normal (D15)"
    ),
    "flow_load_inconsistency": (
        "flow-to-load test (40 CFR 75 App. B §2.2.5 analogue): flow departs from what "
        "temperature and O2 imply (D16)"
    ),
    "cross_sensor_inconsistency": (
        "probe in ambient air / blocked sampling (环发〔2015〕175号 item 2): ambient O2 "
        "or all gases falling while flow and temperature run (D17)"
    ),
    "calibration_timing": (
        "2012 guide item 13; calibration/maintenance marks concentrated at high emissions (D18)"
    ),
    "flag_abuse": (
        "标停未停 / false marks (公告2022年第21号; 执法函〔2020〕21号): marks "
        "contradicting physics; S (manually set) on a pollutant (D19)"
    ),
    "strategic_gap": (
        "informative missingness (Wang et al. 2022): gaps where emissions would be high (D20)"
    ),
    "copy_paste": ("用正常日数据替代 (伪造): repeated daily vectors (D21)"),
    "periodic_pattern": (
        "programmed data packages: a daily profile repeated with tiny noise (D22)"
    ),
    "reference_disagreement": (
        "HJ 75-2017 comparison monitoring; 2012 guide item 23: CEMS vs manual test beyond "
        "tolerance (D23)"
    ),
    "fingerprint_drift": ("outlet fingerprint change against its own past (Xu et al. 2025) (D24)"),
}

SEVERITY: dict[str, str] = {
    "exceedance": "high",
    "masked_exceedance": "high",
    "flag_abuse": "high",
    "copy_paste": "high",
    "o2_manipulation": "high",
    "dilution": "high",
    "rescaled_signal": "high",
    "cross_sensor_inconsistency": "high",
    "strategic_gap": "high",
    "bunching_below_limit": "high",
    "capped_value": "high",
    "zero_while_operating": "medium",
    "constant_value": "medium",
    "narrow_band": "medium",
    "detection_limit_hugging": "medium",
    "step_change": "medium",
    "arithmetic_inconsistency": "medium",
    "flow_load_inconsistency": "medium",
    "calibration_timing": "medium",
    "periodic_pattern": "medium",
    "reference_disagreement": "medium",
    "digit_anomaly": "low",
    "fingerprint_drift": "low",
    "missing_data": "low",
    "negative_value": "low",
    "over_range": "low",
}


def anomaly_id(
    anomaly_type: str,
    mn: str,
    pollutant_code: str | None,
    start: datetime,
    end: datetime,
    detector: str,
) -> str:
    """Deterministic: the same finding gets the same id in every build."""
    key = "|".join(
        [anomaly_type, mn, pollutant_code or "", start.isoformat(), end.isoformat(), detector]
    )
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating | float):
        f = float(v)
        return None if not np.isfinite(f) else round(f, 4)
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v


def evidence(
    start: datetime,
    end: datetime,
    statistic: str,
    value: float,
    threshold: Any,
    values: dict[str, Any] | None = None,
    **extra: Any,
) -> str:
    """Evidence JSON: window, values, statistic, threshold (plus detector specifics)."""
    doc = {
        "window": {"start": start, "end": end},
        "values": values or {},
        "statistic": {"name": statistic, "value": value},
        "threshold": threshold,
        **extra,
    }
    return json.dumps(_jsonable(doc), ensure_ascii=False, sort_keys=True)


class FindingsBuilder:
    """Collects findings of one detector and returns a frame in the contract schema."""

    def __init__(self, detector: str) -> None:
        self.detector = detector
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        anomaly_type: str,
        mn: str,
        pollutant_code: str | None,
        start: datetime,
        end: datetime,
        ev: str,
        severity: str | None = None,
    ) -> None:
        assert anomaly_type in RULE_BASIS, anomaly_type
        self.rows.append(
            {
                "anomaly_id": anomaly_id(
                    anomaly_type, mn, pollutant_code, start, end, self.detector
                ),
                "mn": mn,
                "outlet_id": None,
                "enterprise_id": None,
                "pollutant_code": pollutant_code,
                "start_time": start,
                "end_time": end,
                "anomaly_type": anomaly_type,
                "severity": severity or SEVERITY[anomaly_type],
                "detector": self.detector,
                "evidence": ev,
                "rule_basis": RULE_BASIS[anomaly_type],
            }
        )

    def report(
        self,
        anomaly_type: str,
        mn: str,
        pollutant_code: str | None,
        start: datetime,
        end: datetime,
        statistic: str,
        value: float,
        threshold: Any,
        values: dict[str, Any] | None = None,
        severity: str | None = None,
        **extra: Any,
    ) -> None:
        """`add` a finding whose evidence covers its own window (the usual case)."""
        ev = evidence(start, end, statistic, value, threshold, values, **extra)
        self.add(anomaly_type, mn, pollutant_code, start, end, ev, severity)

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema=FINDINGS_SCHEMA)


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDINGS_SCHEMA)


def concat_findings(frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
    frames = [f.select(list(FINDINGS_SCHEMA)).cast(FINDINGS_SCHEMA) for f in frames if f.height]
    return pl.concat(frames) if frames else empty_findings()


def runs(
    mask: Sequence[bool] | np.ndarray,
    times: Sequence[datetime] | np.ndarray | None = None,
    max_gap: timedelta = timedelta(hours=1),
) -> list[tuple[int, int]]:
    """Index ranges [i, j] (inclusive) of consecutive True values; with `times`, consecutive means
    the next hour (a gap in the series breaks the run)."""
    m = np.asarray(mask, dtype=bool)
    out: list[tuple[int, int]] = []
    i, n = 0, len(m)
    while i < n:
        if not m[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and m[j + 1] and (times is None or times[j + 1] - times[j] <= max_gap):
            j += 1
        out.append((i, j))
        i = j + 1
    return out
