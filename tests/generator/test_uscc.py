from __future__ import annotations

import random

import pytest

from dagster_project.feeds.uscc import (
    USCC_CHARSET,
    is_valid_org_code,
    is_valid_uscc,
    make_uscc,
    org_code_check_char,
    uscc_check_char,
)


def test_standard_example_verifies() -> None:
    # GB 32100-2015's own example code
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert org_code_check_char("M000100Y") == "4"
    assert is_valid_uscc("91350100M000100Y43")


def test_made_codes_are_valid_and_any_single_change_is_caught() -> None:
    rng = random.Random(7)
    for _ in range(200):
        code = make_uscc(rng)
        assert len(code) == 18 and code.startswith("91410883")
        assert is_valid_uscc(code)
        pos = rng.randrange(18)
        replacement = next(c for c in USCC_CHARSET if c != code[pos])
        corrupted = code[:pos] + replacement + code[pos + 1 :]
        assert not is_valid_uscc(corrupted)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "91350100M000100Y4",
        "91350100M000100Y44",
        "91350100M000100I43",
        "91350100M000100Y43X",
        None,
    ],
)
def test_rejects_malformed(bad: str | None) -> None:
    assert not is_valid_uscc(bad)  # type: ignore[arg-type]


def test_org_code_check_is_enforced_separately() -> None:
    # right 18th character for a 17-character prefix whose organisation code check is wrong
    first17 = "91350100M000100Y5"
    code = first17 + uscc_check_char(first17)
    assert not is_valid_org_code(code[8:17])
    assert not is_valid_uscc(code)
    assert is_valid_uscc(code, check_org_code=False)
