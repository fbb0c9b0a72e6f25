"""Who may land data: MNs registered in `registry/outlets.csv`, each with its access password
from the station's credentials file (a CSV `mn,pw` kept outside `sources/`).

The password is compared in constant time and never leaves this object: not in a log line, not
in an error message, not in a landed file. An MN is used as a folder name, so only MNs made of
letters, digits, `_` and `-` (HJ 212 MNs are hex or digits) are accepted from the registry.
"""

from __future__ import annotations

import csv
import hmac
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from dagster_project.feeds.encodings import decode_ledger_bytes

SAFE_MN = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
UNKNOWN_MN = "unknown_mn"
WRONG_PW = "wrong_pw"


class AccessConfigError(ValueError):
    """The registry or the credentials file cannot be used (one-line reason, no secrets)."""


@dataclass
class Access:
    registered: frozenset[str]
    passwords: dict[str, str] = field(repr=False)
    skipped_mns: list[str] = field(default_factory=list)

    def verify(self, mn: str, pw: str | None) -> str | None:
        """None when the logger may land data, else the reject reason."""
        if mn not in self.registered:
            return UNKNOWN_MN
        expected = self.passwords.get(mn)
        if expected is None or pw is None:
            return WRONG_PW
        if not hmac.compare_digest(expected.encode(), pw.encode()):
            return WRONG_PW
        return None


def _rows(path: Path) -> list[dict[str, str]]:
    text = decode_ledger_bytes(path.read_bytes()).text
    return [
        {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        for row in csv.DictReader(io.StringIO(text))
    ]


def load_access(sources: Path, credentials: Path) -> Access:
    outlets = sources / "registry" / "outlets.csv"
    if not outlets.is_file():
        raise AccessConfigError(f"no outlet registry at {outlets}")
    if credentials.resolve().is_relative_to(sources.resolve()):
        raise AccessConfigError(
            f"the credentials file must be kept outside the sources folder ({sources})"
        )
    if not credentials.is_file():
        raise AccessConfigError(f"no credentials file at {credentials}")
    rows = _rows(outlets)
    if rows and "mn" not in rows[0]:
        raise AccessConfigError(f"{outlets} has no `mn` column")
    mns = {r["mn"] for r in rows if r.get("mn")}
    skipped = sorted(m for m in mns if not SAFE_MN.match(m))
    creds = _rows(credentials)
    if creds and not {"mn", "pw"} <= set(creds[0]):
        raise AccessConfigError(f"{credentials} needs the columns mn,pw")
    passwords = {r["mn"]: r["pw"] for r in creds if r.get("mn") and r.get("pw")}
    return Access(frozenset(mns - set(skipped)), passwords, skipped)
