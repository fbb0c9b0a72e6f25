"""HJ 212-2017 Appendix A CRC16 (not CRC-16/MODBUS).

Per byte: crc = (crc >> 8) ^ byte, then 8 rounds of shift right / xor 0xA001 on a carry.
Because the low byte is thrown away before the 8 rounds, one table lookup per byte suffices:
crc' = TABLE[(crc >> 8) ^ byte], where TABLE[x] is the 8-round result starting from x.

`hj212_crc16` is that loop, the standard's algorithm as printed. `hj212_crc16_folded` gives the
same value in a few big-integer operations, for code that checks one packet at a time (the
receiving station): the register's high byte h steps as h' = H(h) ^ H(byte), where H (the
table's high byte) and the table itself are GF(2)-linear, so the CRC is the XOR of one term per
byte, TABLE[H^d(byte)] with d the byte's distance from the end, plus a term for the initial
0xFF. H^8 is the identity, so bytes whose distances agree modulo 8 can be XOR-ed together
first: folding the segment as a big integer onto one 64-bit word does that, and eight table
lookups finish it.
"""

from __future__ import annotations


def _eight_rounds(value: int) -> int:
    for _ in range(8):
        value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
    return value


HJ212_TABLE: tuple[int, ...] = tuple(_eight_rounds(x) for x in range(256))


def hj212_crc16(data: bytes) -> int:
    """CRC of an HJ 212 data segment (the bytes between the length digits and the CRC)."""
    crc = 0xFFFF
    table = HJ212_TABLE
    for b in data:
        crc = table[(crc >> 8) ^ b]
    return crc


def _distance_tables() -> tuple[tuple[int, ...], ...]:
    """D[r][x] = TABLE[H^r(x)] for r = 0..7 (H = the table's high byte; H^8 = identity)."""
    high = [t >> 8 for t in HJ212_TABLE]
    tables, x = [], list(range(256))
    for _ in range(8):
        tables.append(tuple(HJ212_TABLE[v] for v in x))
        x = [high[v] for v in x]
    if x != list(range(256)):
        raise AssertionError("the HJ 212 CRC's high-byte map should have period 8")
    return tuple(tables)


_D = _distance_tables()
_WORD = (1 << 64) - 1


def hj212_crc16_folded(data: bytes) -> int:
    """The same value as `hj212_crc16`, without a Python loop over the bytes."""
    n = len(data)
    if n == 0:
        return 0xFFFF
    x = int.from_bytes(data, "big")  # as if zero-padded in front to whole 8-byte words
    words = (n + 7) // 8
    while words > 1:  # XOR the upper half of the words onto the lower half
        half = words // 2
        x = (x >> (64 * half)) ^ (x & ((1 << (64 * half)) - 1))
        words -= half
    d = _D
    crc = d[(n - 1) % 8][0xFF]  # the initial register
    for r in range(8):  # byte r from the right: distance r (mod 8) from the last byte
        crc ^= d[r][(x >> (8 * r)) & 0xFF]
    return crc


def modbus_crc16(data: bytes) -> int:
    """Standard CRC-16/MODBUS, which some loggers send instead (printed low byte first)."""
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def modbus_le_hex(data: bytes) -> str:
    """The MODBUS CRC as those devices print it: low byte first, upper-case hex."""
    crc = modbus_crc16(data)
    return f"{crc & 0xFF:02X}{crc >> 8:02X}"
