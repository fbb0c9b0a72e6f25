"""What a build is given (its folders, its id) and how it says it failed: the part of the build
the supervising `lantian build` needs, kept free of Dagster, dbt and the lake so that the
supervisor starts its worker at once (the worker imports them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dagster_project import paths
from dagster_project.operate import exit_codes


class BuildFailed(RuntimeError):
    """The build did not finish; the previous warehouse is intact."""

    exit_code = exit_codes.FAILED


class BadInput(BuildFailed):
    """Arguments or input that cannot be built at all (no sources folder, ...)."""

    exit_code = exit_codes.USAGE


class BuildRefused(BuildFailed):
    """The shrink guard refused to replace the previous warehouse with this build."""

    exit_code = exit_codes.INPUT_PROBLEMS


def new_build_id() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"


@dataclass(frozen=True)
class BuildPaths:
    sources: Path
    target: Path
    exports: Path
    state: Path

    @classmethod
    def resolve(
        cls,
        sources: Path | None = None,
        target: Path | None = None,
        exports: Path | None = None,
        state: Path | None = None,
    ) -> BuildPaths:
        """From options, then environment, then defaults (paths.py); never the cwd."""
        try:
            src = paths.sources_dir(sources)
            tgt = paths.warehouse_file(target, src)
        except paths.PathNotConfigured as exc:
            raise BadInput(str(exc)) from exc
        return cls(src, tgt, paths.exports_dir(exports, tgt), paths.state_dir(state, tgt))
