"""Modbus PDUs and RTU framing (CRC16/Modbus), shared by the RTU transport and the simulators."""

from __future__ import annotations

import struct
from typing import Sequence

from appliance.errors import ValidationError

READ_HOLDING, READ_INPUT, WRITE_SINGLE, WRITE_MULTIPLE = 3, 4, 6, 16


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def rtu_frame(unit_id: int, pdu: bytes) -> bytes:
    """An RTU frame: unit id, PDU, CRC low byte first."""
    body = bytes([unit_id]) + pdu
    return body + struct.pack("<H", crc16(body))


def crc_ok(frame: bytes) -> bool:
    """Whether an RTU frame's trailing CRC matches its body."""
    return len(frame) >= 4 and struct.unpack("<H", frame[-2:])[0] == crc16(frame[:-2])


def _check(address: int, count: int, limit: int) -> None:
    if not 0 <= address <= 0xFFFF or not 1 <= count <= limit or address + count > 0x10000:
        raise ValidationError(f"register range {address}+{count} is outside 0..65535 or over {limit} registers")


def read_request(function: int, address: int, count: int) -> bytes:
    """The PDU of an FC03/FC04 read."""
    _check(address, count, 125)
    return struct.pack(">BHH", function, address, count)


def write_single_request(address: int, value: int) -> bytes:
    """The PDU of an FC06 write of one register."""
    _check(address, 1, 1)
    if not 0 <= value <= 0xFFFF:
        raise ValidationError(f"{value} is not a 16-bit register value")
    return struct.pack(">BHH", WRITE_SINGLE, address, value)


def write_multiple_request(address: int, values: Sequence[int]) -> bytes:
    """The PDU of an FC16 write of several registers."""
    _check(address, len(values), 123)
    if not all(0 <= value <= 0xFFFF for value in values):
        raise ValidationError(f"{list(values)} are not all 16-bit register values")
    return struct.pack(f">BHHB{len(values)}H", WRITE_MULTIPLE, address, len(values), 2 * len(values), *values)


def registers_of(payload: bytes) -> list[int]:
    """The 16-bit words of a read answer's data bytes."""
    return list(struct.unpack(f">{len(payload) // 2}H", payload[: len(payload) // 2 * 2]))
