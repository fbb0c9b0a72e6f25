"""Helpers for the HJ 212 tests: the public samples and small packet logs in tmp dirs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "docs/reference/samples/hj212-public-samples.txt"


@dataclass(frozen=True)
class Sample:
    packet: str  # without \r\n
    crc_note: str  # the `# crc:` line
    source: str

    @property
    def expected(self) -> str:
        """valid, modbus_le or invalid, as the `# crc:` line says."""
        note = self.crc_note
        if note.startswith("VALID"):
            return "valid"
        if "MODBUS" in note:
            return "modbus_le"
        return "invalid"

    @property
    def length_mismatch(self) -> bool:
        return "length field MISMATCH" in self.crc_note


def load_samples() -> list[Sample]:
    samples, source, note = [], "", ""
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        if line.startswith("# source:"):
            source = line[len("# source:") :].strip()
        elif line.startswith("# crc:"):
            note = line[len("# crc:") :].strip()
        elif line.startswith("##"):
            samples.append(Sample(line, note, source))
    return samples


def mn_of(packet: str) -> str:
    m = re.search(r"[;,]MN=([^;,]*)", packet)
    assert m
    return m.group(1)


@pytest.fixture
def write_log(tmp_path: Path):
    """write_log(lines, name) -> path: a packet log with the lines joined by \\r\\n."""

    def _write(lines: list[str], name: str = "dev.log", ending: str = "\r\n") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes("".join(line + ending for line in lines).encode("utf-8"))
        return path

    return _write
