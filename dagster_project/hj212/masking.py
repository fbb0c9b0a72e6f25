"""Keep the access password (`PW`) out of everything stored: pure text functions, no polars.

Used for rejected raw lines (the parser) and for every packet the receiving station lands.
"""

from __future__ import annotations

import re

_SECRET = re.compile(r"(?i)((?:New)?PW=)[^;,&]*")
_SAFE_HEADER = re.compile(r"^(?:QN|ST|CN|MN|Flag|FLAG|PNUM|PNO)=[^=]*$")
MASK = "******"


def mask_raw(text: str) -> str:
    """A raw line (or a bare data segment) fit for storing: no password, even in a damaged
    header.

    In the header (up to the first `&&`), any `;`/`,`-separated part that is not a well-formed
    QN/ST/CN/MN/Flag/PNUM/PNO field is replaced by `PW=******`: a corrupted `PW` key or separator
    must not let the password through. Password fields in the CP area are masked as well."""
    cut = text.find("&&")
    head, rest = (text, "") if cut < 0 else (text[:cut], text[cut:])
    prefix = ""
    if head.startswith("##") and len(head) >= 6:
        prefix, head = head[:6], head[6:]
    parts = re.split(r"([;,])", head)
    for i in range(0, len(parts), 2):
        part = parts[i]
        if not part or _SAFE_HEADER.match(part):
            continue
        if part.startswith("CP=") and part.count("=") == 1:
            continue
        parts[i] = f"PW={MASK}"
    if "pw=" in rest.lower():  # a cheap look before the (slow, case-blind) substitution
        rest = _SECRET.sub(rf"\g<1>{MASK}", rest)
    return prefix + "".join(parts) + rest
