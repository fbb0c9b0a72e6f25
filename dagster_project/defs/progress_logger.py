"""The `lantian_progress` logger: a build's step events become progress lines.

Every log message of the run also goes to the build's log file (config `log_file`), so the
terminal shows one line per stage while the full story stays on disk and in the run history.
Outside `lantian build` (no progress sink active) it only writes the log file, if configured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from dagster_project.operate.progress import Count, active

# Materialization metadata worth a progress line, in the order shown.
_COUNT_KEYS = (
    "files",
    "files_seen",
    "files_parsed",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "values_loaded",
    "findings",
    "years",
)


@dataclass
class _Step:
    materialized: list[dict[str, Any]] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)


def stage_name(step_key: str) -> str:
    if step_key.startswith("raw__") and step_key.count("__") == 1:
        return f"ingest {step_key.removeprefix('raw__')}"
    return {
        "ingest_cems": "ingest cems",
        "dbt_warehouse": "dbt build",
        "marts__monitoring_anomalies": "detectors",
        "exports__provincial_inventory": "exports",
        "exports__overview_report": "overview",
    }.get(step_key, step_key.replace("__", "."))


def _counts(step: _Step) -> dict[str, Count]:
    counts: dict[str, Count] = {}
    for meta in step.materialized:
        for k in _COUNT_KEYS:
            if k not in counts and isinstance(meta.get(k), int | float | str):
                counts[k] = meta[k]
    if not counts and len(step.materialized) > 1:
        counts["assets"] = len(step.materialized)
    if step.checks_passed or step.checks_failed:
        counts["checks_passed"] = step.checks_passed
        counts["checks_failed"] = len(step.checks_failed)
    return counts


class _StageHandler(logging.Handler):
    def __init__(self, log_file: str | None) -> None:
        super().__init__(level=logging.DEBUG)
        self.steps: dict[str, _Step] = {}
        # Opened per record: Dagster's instance may run logging.config.dictConfig, which closes
        # every registered handler's resources mid-run.
        self.log_file = log_file
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if self.log_file and record.levelno >= logging.INFO:
            with open(self.log_file, "a", encoding="utf-8") as log:
                log.write(self.format(record) + "\n")
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        progress = active()
        if event is None or progress is None or not event.step_key:
            return
        step = self.steps.setdefault(event.step_key, _Step())
        kind = event.event_type_value
        if kind == "ASSET_MATERIALIZATION":
            metadata = event.event_specific_data.materialization.metadata
            step.materialized.append({k: getattr(v, "value", v) for k, v in metadata.items()})
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.passed:
                step.checks_passed += 1
            else:
                problems = evaluation.metadata.get("problems")
                detail = getattr(problems, "value", "") if problems is not None else ""
                step.checks_failed.append(f"{evaluation.check_name} {detail}".strip())
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            seconds = (getattr(event.event_specific_data, "duration_ms", 0) or 0) / 1000
            name = stage_name(event.step_key)
            if step.materialized or kind == "STEP_FAILURE":
                label = name if kind == "STEP_SUCCESS" else f"{name} FAILED"
                progress.stage(label, seconds, _counts(step))
            for failed in step.checks_failed:
                progress.note(f"check {name}: {failed.splitlines()[0]}", check=failed)


@dg.logger(
    config_schema={"log_file": dg.Field(str, is_required=False)},
    description="Progress lines for `lantian build` and the build's log file.",
)
def lantian_progress(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger("lantian_progress", level=logging.DEBUG)
    logger.addHandler(_StageHandler(init_context.logger_config.get("log_file")))
    return logger


@dg.definitions
def loggers() -> dg.Definitions:
    return dg.Definitions(
        loggers={"lantian_progress": lantian_progress, "console": dg.colored_console_logger}
    )
