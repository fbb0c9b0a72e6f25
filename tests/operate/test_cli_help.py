"""Every command and option says what it does and what it defaults to."""

from __future__ import annotations

import pytest

from dagster_project.cli import build_parser, main


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", ["build", "status", "generate", "export", "query", "ui"])
def test_every_option_has_a_description(command: str) -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    for action in sub._actions:
        if action.help != "==SUPPRESS==":
            assert action.help, f"{command} {action.option_strings}"
    assert sub.description


def test_defaults_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys, "build")
    assert "(default: 14)" in text and "(default: 0.1)" in text
    assert "$LANTIAN_SOURCES" in text and "beside the sources folder" in text
    assert "default: None" not in text
    assert "--worker" not in text  # internal
    assert "(default: 2023)" in _help(capsys, "generate")
