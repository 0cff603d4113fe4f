"""The appliance's one CRC-16/MODBUS, for the serial protocols pymodbus does not frame (the JK-PB trigger)."""

from __future__ import annotations


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS: reflected poly 0xA001, init 0xFFFF, no final XOR; sent low byte first."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(body: bytes) -> bytes:
    """`body` followed by its CRC, low byte first (the order every Modbus RTU frame uses)."""
    return body + crc16_modbus(body).to_bytes(2, "little")


def crc_ok(frame: bytes) -> bool:
    """Whether the last two bytes of `frame` are the CRC of the bytes before them."""
    return len(frame) >= 3 and crc16_modbus(frame[:-2]) == int.from_bytes(frame[-2:], "little")
