"""A scratch dbt project for tests that build some of the project's models over stub models."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

from dagster_project.defs.transform.project import DBT_DIR


def scratch_project(project: Path, stubs: dict[str, str], body: str, warehouse: str) -> Path:
    """A dbt project at `project` named as ours (its macros resolve as in the project), with the
    project's macros, each stub as models/stubs/<name>.sql, `body` (YAML: models, seeds, hooks)
    below the project's header, and a DuckDB profile on `warehouse` (a path or a Jinja
    expression). The caller copies the models under test in."""
    shutil.copytree(DBT_DIR / "macros", project / "macros")
    (project / "models" / "stubs").mkdir(parents=True)
    for name, sql in stubs.items():
        (project / "models" / "stubs" / f"{name}.sql").write_text(textwrap.dedent(sql))
    header = textwrap.dedent("""\
        name: lantian
        version: "1.0.0"
        config-version: 2
        profile: lantian
        flags: {send_anonymous_usage_stats: false}
        """)
    (project / "dbt_project.yml").write_text(header + textwrap.dedent(body))
    output = {"type": "duckdb", "path": warehouse, "threads": 1, "extensions": []}
    (project / "profiles.yml").write_text(
        f"lantian:\n  target: w\n  outputs:\n    w: {json.dumps(output)}\n"
    )
    return project
