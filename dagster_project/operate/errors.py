"""The root cause of a failure, in one line.

Dagster wraps an asset's exception in its own errors (and a definitions-loading error in a
component tree), so the message a user sees first is rarely the cause. These helpers walk to the
innermost error that is ours or the tool's and phrase the common ones plainly.
"""

from __future__ import annotations

import re
from typing import Any

_WRAPPERS = re.compile(
    r"^(Dagster\w*Error|ComponentTreeException|DagsterUserCodeProcessError|"
    r"DagsterExecutionStepExecutionError|DagsterUserCodeExecutionError|DefinitionsLoadError)$"
)
_ENOSPC = re.compile(r"No space left on device|\[Errno 28\]|disk is full", re.IGNORECASE)


def _chain_of_exception(exc: BaseException) -> list[tuple[str, str]]:
    """(class name, message) from the outermost error to the innermost."""
    chain: list[tuple[str, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((type(current).__name__, str(current)))
        nxt = current.__cause__
        if nxt is None and not current.__suppress_context__:
            nxt = current.__context__
        current = nxt
    return chain


def _chain_of_error_info(info: Any) -> list[tuple[str, str]]:
    """The same for Dagster's SerializableErrorInfo (a step failure's error)."""
    chain: list[tuple[str, str]] = []
    current = info
    while current is not None:
        chain.append((current.cls_name or "", current.message or ""))
        current = current.cause or current.context
    return chain


def _first_line(cls_name: str, message: str) -> str:
    lines = [ln.strip() for ln in message.strip().splitlines() if ln.strip()]
    # Python's messages lead with "ClassName: ..." in error infos; drop the repeated class name.
    text = lines[0] if lines else cls_name
    text = re.sub(rf"^{re.escape(cls_name)}:\s*", "", text) if cls_name else text
    if _ENOSPC.search(message):
        return f"disk full: {text}"
    return text if cls_name in ("", "RuntimeError", "Exception") else f"{cls_name}: {text}"


def root_cause(error: BaseException | Any) -> str:
    """One line naming the innermost error that is not a Dagster wrapper."""
    chain = (
        _chain_of_exception(error)
        if isinstance(error, BaseException)
        else _chain_of_error_info(error)
    )
    own = [c for c in chain if not _WRAPPERS.match(c[0])] or chain
    disk = [c for c in own if _ENOSPC.search(c[1])]
    cls_name, message = disk[-1] if disk else own[-1]
    return _first_line(cls_name, message)
