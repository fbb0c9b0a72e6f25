"""The shrink guard (dagster_project/guard.py) as blocking asset checks.

A feed that vanished or shrank stops the build right after its ingest step, before dbt runs on
it; CEMS outlet-hours and the county totals are judged once dbt has built the marts. A failed
guard blocks everything downstream, so the build never reaches the swap and exits 3. The
previous warehouse's measures, the allowed drop and `--accept-shrink` come from the build
(`lantian build` writes them to the file named by LANTIAN_GUARD_FILE); an accepted shrink passes
as a warning that names what shrank, kept in the run history.
"""

import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from dagster_project import guard, warehouse
from dagster_project.defs.resources import WarehouseResource

CHECK_NAME = "shrink_guard"
Names = Callable[[guard.GuardSettings], set[str]]  # the measures a check judges


def guard_settings() -> guard.GuardSettings:
    value = os.environ.get(guard.GUARD_FILE_ENV)
    return guard.GuardSettings.read(Path(value) if value else None)


def _evaluate(warehouse_db: WarehouseResource, names: Names) -> dg.AssetCheckResult:
    settings = guard_settings()
    judged = names(settings)
    with warehouse_db.connect() as con:
        current = guard.measure(con, judged)
        files = guard.files_this_build(con, warehouse.build_id())
    problems = guard.judge(judged, settings.previous, current, files, settings.max_drop)
    lines = [p.line() for p in problems]
    accepted = bool(problems) and settings.accept_shrink
    return dg.AssetCheckResult(
        passed=not problems or accepted,
        severity=dg.AssetCheckSeverity.WARN if accepted else dg.AssetCheckSeverity.ERROR,
        metadata={
            "problems": "\n".join(lines) or "none",
            "accepted_shrink": accepted,
            "max_drop": settings.max_drop,
            "first_build": settings.previous is None,
            "measures": dg.MetadataValue.json(
                {
                    n: {"previous": (settings.previous or {}).get(n), "current": current.get(n)}
                    for n in sorted(judged)
                }
            ),
        },
    )


def _guard(asset: list[str], what: str, names: Names) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset,
        name=CHECK_NAME,
        blocking=True,
        description=f"{what}: present and not shrunk against the previous warehouse.",
    )
    def _check(warehouse_db: WarehouseResource) -> dg.AssetCheckResult:
        return _evaluate(warehouse_db, names)

    return _check


def _feed_names(feed: str) -> Names:
    extra = {m for m, f in guard.REGISTRY_MEASURES.items() if f == feed}
    return lambda _settings: {f"feed:{feed}", *extra}


def _previous_totals(settings: guard.GuardSettings) -> set[str]:
    return {n for n in (settings.previous or {}) if n.startswith("total_t:")}


shrink_guards = [
    *(_guard(t.split("."), f"Feed {f}", _feed_names(f)) for f, t in guard.FEED_TABLES.items()),
    _guard(["marts", "cems_hourly"], "CEMS outlet-hours", lambda _s: {"cems_outlet_hours"}),
    _guard(["marts", "emissions"], "County totals per pollutant", _previous_totals),
]
