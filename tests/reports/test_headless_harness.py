"""The headless harness sees what it must: a script error and a request for an outside asset."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reports.headless import chromium, render

pytestmark = pytest.mark.skipif(chromium() is None, reason="chromium not installed")


def test_harness_reports_script_errors_requests_and_sections(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><section id="a"><h2>A</h2><table><tr><td>1</td></tr>'
        '</table></section><img src="http://example.invalid/x.png">'
        "<script>undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    shot = tmp_path / "broken.png"
    result = render(page, shot)
    assert any("undefinedFunction" in e for e in result.errors)
    assert any(u.startswith("http://example.invalid") for u in result.requests)
    assert [s["id"] for s in result.sections] == ["a"] and result.sections[0]["rows"] == 1
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
