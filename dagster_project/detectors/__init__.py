"""Abnormal and falsified monitoring data: detectors over the hourly CEMS table, returning findings
with evidence and rule basis (marts.monitoring_anomalies). No Dagster imports here.

Entry points: `detect_and_store` (after dbt), `run_cems_suites` (great-expectations suites
expectations/cems_*.json), `detect_frames` (frames in, findings out: tests and the benchmark).
"""

from dagster_project.detectors.engine import detect_frames
from dagster_project.detectors.store import DetectionSummary, detect_and_store
from dagster_project.detectors.suites import run_cems_suites

__all__ = ["DetectionSummary", "detect_and_store", "detect_frames", "run_cems_suites"]
