"""Helpers for the generator tests: the small county's arguments and a tiny independent HJ 212
line reader (not the project's parser)."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

from dagster_project.hj212.crc import hj212_crc16

# a small county: 3 days (across the 15 November heating/staggering switch), 30 enterprises
SMALL = {"seed": 2023, "start": date(2023, 11, 13), "days": 3, "enterprises": 30}


def read_log(path: Path) -> list[str]:
    """Packet lines of a CEMS log, each still ending in \\r\\n."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.decode("utf-8").splitlines(keepends=True)


def crc_ok(line: str) -> bool:
    body = line.rstrip("\r\n")
    if not body.startswith("##") or len(body) < 10 or not body[2:6].isdigit():
        return False
    seg = body[6:-4].encode("utf-8")
    return int(body[2:6]) == len(seg) and f"{hj212_crc16(seg):04X}" == body[-4:].upper()


def parse(line: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(header fields, {code: {field: value}}) of a valid packet line."""
    seg = line.rstrip("\r\n")[6:-4]
    head, cp = seg.split("CP=&&", 1)
    cp = cp[: cp.rfind("&&")]
    header = dict(kv.split("=", 1) for kv in head.strip(";").split(";") if kv)
    items: dict[str, dict[str, str]] = {}
    for part in cp.split(";"):
        for kv in part.split(","):
            if not kv:
                continue
            key, val = kv.split("=", 1)
            if "-" in key:
                code, field = key.split("-", 1)
                items.setdefault(code, {})[field] = val
            else:
                header[key] = val
    return header, items
