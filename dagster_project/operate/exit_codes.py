"""Exit codes of `lantian build` (and the other commands), decided in one place.

0  built and published, no input problems
1  the build failed (nothing published; the previous warehouse and exports are intact)
2  bad arguments or input that cannot be used at all (no such folder, no year, ...)
3  input problems: the build finished but its input needs attention (file-level rejects), or
   the shrink guard refused to replace the previous warehouse with a smaller one
"""

from __future__ import annotations

from collections.abc import Sequence

OK = 0
FAILED = 1
USAGE = 2
INPUT_PROBLEMS = 3


def for_finished_build(input_problems: Sequence[str]) -> int:
    """A build that published: 3 when it reported input problems, else 0."""
    return INPUT_PROBLEMS if input_problems else OK
