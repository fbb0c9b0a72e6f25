"""Turn great-expectations suite results into a Dagster asset-check result.

Data findings are warnings, never build failures: the office wants the warehouse built and the
findings visible (UI, build summary), not a missing warehouse.
"""

import json
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

import dagster as dg


def _as_dict(result: Any) -> dict[str, Any]:
    return asdict(result) if is_dataclass(result) else dict(result)


def check_result_from_suites(results: Sequence[Any], re_run: bool = True) -> dg.AssetCheckResult:
    """The suites' results as one check result; `re_run` false says the results are those of an
    earlier build, kept because the data they judged is unchanged."""
    suites = [_as_dict(r) for r in results]
    failed = [
        f"{s['suite_name']}: {e.get('expectation_type')}({e.get('column')}) "
        f"unexpected={e.get('unexpected_count')}"
        for s in suites
        for e in s.get("expectations", [])
        if not e.get("success")
    ]
    return dg.AssetCheckResult(
        passed=all(s.get("success") for s in suites),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "suites": len(suites),
            "re_run": re_run,
            "rows_validated": sum(int(s.get("rows_validated") or 0) for s in suites),
            # of them, judged by an earlier build's validation and unchanged since
            "rows_carried": sum(int(s.get("rows_carried") or 0) for s in suites),
            "expectations_evaluated": sum(
                int(s.get("evaluated_expectations") or 0) for s in suites
            ),
            "failed_expectations": "\n".join(failed) or "none",
            "details": dg.MetadataValue.json(json.loads(json.dumps(suites, default=str))),
        },
    )
