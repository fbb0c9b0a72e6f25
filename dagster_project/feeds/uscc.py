"""统一社会信用代码 (unified social credit code, USCC) check digits.

GB 32100-2015: 18 characters = registration authority (1) + organisation type (1) + division
code (6) + organisation code (9, GB 11714: 8 body characters + its own check character) +
check character (1). The 18th character: weights W_i = 3^i mod 31 (i = 0..16) over character
values in the charset "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I, O, S, V, Z);
C18 = 31 - (sum mod 31), with 31 mapped to "0".

GB 11714-1997 organisation code check (position 17 of the USCC): weights 3 7 9 10 5 8 4 2 over
the 8 body characters (digits as themselves, letters A=10 … Z=35); C9 = 11 - (sum mod 11),
10 -> "X", 11 -> "0".
"""

from __future__ import annotations

import random

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
USCC_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
ORG_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
MENGZHOU_DIVISION = "410883"  # 河南省焦作市孟州市


def uscc_check_char(first17: str) -> str:
    """The 18th character for the first 17 characters of a USCC."""
    if len(first17) != 17:
        raise ValueError(f"need 17 characters, got {len(first17)}")
    try:
        total = sum(
            _USCC_VALUE[ch] * w for ch, w in zip(first17.upper(), USCC_WEIGHTS, strict=True)
        )
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} not allowed in a USCC") from exc
    return USCC_CHARSET[(31 - total % 31) % 31]


def _org_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    raise ValueError(f"character {ch!r} not allowed in an organisation code")


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character for the 8 body characters of an organisation code."""
    if len(body8) != 8:
        raise ValueError(f"need 8 characters, got {len(body8)}")
    total = sum(_org_value(ch) * w for ch, w in zip(body8.upper(), ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def is_valid_org_code(code9: str) -> bool:
    """True when a 9-character organisation code carries its GB 11714 check character."""
    if len(code9) != 9:
        return False
    try:
        return org_code_check_char(code9[:8]) == code9[8].upper()
    except ValueError:
        return False


def is_valid_uscc(code: str, *, check_org_code: bool = True) -> bool:
    """True when `code` is an 18-character USCC whose check character(s) verify.

    With `check_org_code` (default) the embedded organisation code (positions 9-17) must also
    carry a valid GB 11714 check character, as codes issued to enterprises do.
    """
    if not isinstance(code, str) or len(code) != 18:
        return False
    code = code.upper()
    if any(ch not in _USCC_VALUE for ch in code):
        return False
    if uscc_check_char(code[:17]) != code[17]:
        return False
    return not check_org_code or is_valid_org_code(code[8:17])


def make_uscc(
    rng: random.Random,
    division: str = MENGZHOU_DIVISION,
    registration: str = "9",
    org_type: str = "1",
) -> str:
    """A random, valid USCC: 工商 registration (9), enterprise (1), the division, and a random
    digits-only organisation code with both check characters computed."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    if (
        body[0] == "0"
    ):  # organisation codes issued in Henan do not start with 0; keep them plausible
        body = "M" + body[1:]
    first17 = registration + org_type + division + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)
