"""HJ 212-2017 Appendix A CRC16 (not CRC-16/MODBUS).

Per byte: crc = (crc >> 8) ^ byte, then 8 rounds of shift right / xor 0xA001 on a carry.
Because the low byte is thrown away before the 8 rounds, one table lookup per byte suffices:
crc' = TABLE[(crc >> 8) ^ byte], where TABLE[x] is the 8-round result starting from x.
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
