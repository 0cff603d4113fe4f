"""The legacy JK `4E 57` protocol (B1A/B2A with an RS485 adapter): request builder and TLV frame decoder.

Facts from /work/shared/protocols/bms.md section 4b (syssi docs and jk_bms.cpp, dbus-serialbattery).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from appliance.drivers.base import Reading
from appliance.drivers.jk_frames import MAX_CELL_V, cell_extremes
from appliance.errors import DecodeError
from appliance.jsontypes import Json

START = b"\x4E\x57"
END_MARK = 0x68
HEADER_LEN = 11
#: 4 record bytes, the end mark 0x68 and the 4-byte checksum field follow the payload.
TRAILER_LEN = 9
MIN_FRAME, MAX_FRAME = HEADER_LEN + TRAILER_LEN, 1024
CMD_READ_ALL = 0x06

#: Payload length of every fixed-size tag; 0x79 carries its own length byte.
TAG_SIZES = {
    0x80: 2, 0x81: 2, 0x82: 2, 0x83: 2, 0x84: 2, 0x85: 1, 0x86: 1, 0x87: 2, 0x89: 4, 0x8A: 2, 0x8B: 2, 0x8C: 2,
    0x8E: 2, 0x8F: 2, 0x90: 2, 0x91: 2, 0x92: 2, 0x93: 2, 0x94: 2, 0x95: 2, 0x96: 2, 0x97: 2, 0x98: 2, 0x99: 2,
    0x9A: 2, 0x9B: 2, 0x9C: 2, 0x9D: 1, 0x9E: 2, 0x9F: 2, 0xA0: 2, 0xA1: 2, 0xA2: 2, 0xA3: 2, 0xA4: 2, 0xA5: 2,
    0xA6: 2, 0xA7: 2, 0xA8: 2, 0xA9: 1, 0xAA: 4, 0xAB: 1, 0xAC: 1, 0xAD: 2, 0xAE: 1, 0xAF: 1, 0xB0: 2, 0xB1: 1,
    0xB2: 10, 0xB3: 1, 0xB4: 8, 0xB5: 4, 0xB6: 4, 0xB7: 15, 0xB8: 1, 0xB9: 4, 0xBA: 24, 0xC0: 1,
}
TEXT_TAGS = (0xB2, 0xB4, 0xB5, 0xB7, 0xBA)
#: Warning bits of tag 0x8B named by the fact sheet; others keep their number.
WARNING_BITS = {1: "mos_overtemperature", 2: "pack_overvoltage", 3: "pack_undervoltage", 5: "charge_overcurrent",
                6: "discharge_overcurrent", 10: "cell_overvoltage", 11: "cell_undervoltage"}


@dataclass(frozen=True)
class LegacyFrame:
    """A checksum-valid 4E 57 frame split into its header fields and tags."""

    command: int
    source: int
    frame_type: int
    cells_mv: tuple[int, ...]
    tags: Mapping[int, int | bytes] = field(default_factory=dict)


def checksum(data: bytes) -> int:
    """The 4E 57 checksum: the sum of every byte from 4E through the end mark 68."""
    return sum(data)


def build_request(command: int = CMD_READ_ALL, source: int = 0x03) -> bytes:
    """A read request; with the defaults, the fact sheet's `4E 57 00 13 ... 68 00 00 01 29`."""
    body = START + (19).to_bytes(2, "big") + bytes(4) + bytes([command, source, 0x00, 0x00]) + bytes(4)
    body += bytes([END_MARK])
    return body + checksum(body).to_bytes(4, "big")


def build_frame(payload: bytes, *, command: int = CMD_READ_ALL, source: int = 0x00, frame_type: int = 0x01) -> bytes:
    """A reply frame around a TLV payload (used by simulators and tests)."""
    total = HEADER_LEN + len(payload) + TRAILER_LEN
    body = START + (total - 2).to_bytes(2, "big") + bytes(4) + bytes([command, source, frame_type]) + payload
    body += bytes(4) + bytes([END_MARK])
    return body + (checksum(body) & 0xFFFF).to_bytes(4, "big")


def check_frame(frame: bytes) -> None:
    """Validate start, length field, end mark and checksum; raise DecodeError naming what is wrong."""
    if not frame.startswith(START):
        raise DecodeError(f"not a legacy JK frame: starts with {frame[:2].hex(' ') or 'nothing'}, expected 4e 57")
    if len(frame) < MIN_FRAME:
        raise DecodeError(f"short legacy JK frame: {len(frame)} bytes")
    declared = int.from_bytes(frame[2:4], "big") + 2
    if declared != len(frame):
        kind = "short" if len(frame) < declared else "long"
        raise DecodeError(f"{kind} legacy JK frame: length field says {declared} bytes, got {len(frame)}")
    if frame[-5] != END_MARK:
        raise DecodeError(f"legacy JK frame has no end mark 0x68 (found {frame[-5]:#04x})")
    expected = checksum(frame[:-4])
    got = int.from_bytes(frame[-4:], "big")
    # The fact sheet names a u16; its 2 high bytes are zero, so accept the full sum or its low 16 bits.
    if got not in (expected, expected & 0xFFFF):
        raise DecodeError(f"bad checksum in legacy JK frame: {got:#06x}, sum is {expected & 0xFFFF:#06x}")


def parse_frame(frame: bytes) -> LegacyFrame:
    """Split a checked 4E 57 frame into its tags; an unknown tag is a DecodeError (its size is unknown)."""
    check_frame(frame)
    payload = frame[HEADER_LEN:len(frame) - TRAILER_LEN]
    tags: dict[int, int | bytes] = {}
    cells: list[int] = []
    at = 0
    while at < len(payload):
        tag = payload[at]
        if tag == 0x79:
            if at + 1 >= len(payload):
                raise DecodeError("legacy JK tag 0x79 has no length byte")
            size = payload[at + 1]
            block = payload[at + 2:at + 2 + size]
            if len(block) != size or size % 3:
                raise DecodeError(f"legacy JK cell block of {size} bytes is cut or not a multiple of 3")
            cells = [int.from_bytes(block[i + 1:i + 3], "big") for i in range(0, size, 3)]
            at += 2 + size
            continue
        known = TAG_SIZES.get(tag)
        if known is None:
            raise DecodeError(f"unknown legacy JK tag {tag:#04x} at payload byte {at}")
        raw = payload[at + 1:at + 1 + known]
        if len(raw) != known:
            raise DecodeError(f"legacy JK tag {tag:#04x} is cut short")
        tags[tag] = bytes(raw) if tag in TEXT_TAGS else int.from_bytes(raw, "big")
        at += 1 + known
    return LegacyFrame(frame[8], frame[9], frame[10], tuple(cells), tags)


def _text(value: int | bytes | None) -> str | None:
    if not isinstance(value, bytes):
        return None
    text = "".join(ch for ch in value.split(b"\x00", 1)[0].decode("ascii", "replace") if ch.isprintable())
    return text.replace("\ufffd", "").strip() or None


def _temperature(raw: int) -> float:
    # Values above 100 are negative: the fact sheet's spec reading -(v-100); syssi's code uses 99-v.
    return float(-(raw - 100) if raw > 100 else raw)


def current_wire(raw: int, protocol_version: int | None) -> float:
    """Tag 0x84 as amps with the wire sign (+ = charging)."""
    if protocol_version == 1:
        amps = (raw & 0x7FFF) / 100
        return amps if raw & 0x8000 else -amps
    return (10000 - raw) / 100


def split_version(text: str | None) -> tuple[str | None, str | None]:
    """Hardware and software version from tag 0xB7 (`H6.X__S6.1.3S__`, `11.XW_S11.261__`)."""
    if not text:
        return None, None
    match = re.match(r"^H?(?P<hw>[^_]+)_+S?(?P<sw>[^_]+)", text)
    if not match:
        return None, text
    return match["hw"], match["sw"]


def identity_values(parsed: LegacyFrame) -> Json:
    """Model, serial number and versions from the text tags (0xBA manufacturer id, 0xB7 version)."""
    manufacturer_id = _text(parsed.tags.get(0xBA))
    model_match = re.search(r"JK[-_][A-Z0-9]+", manufacturer_id or "")
    hardware, software = split_version(_text(parsed.tags.get(0xB7)))
    return {"model": model_match.group(0) if model_match else None, "serial_number": manufacturer_id,
            "hardware_version": hardware, "software_version": software}


def decode(frame: bytes) -> Reading:
    """Decode a legacy read-all reply into a battery Reading (+ current = discharging)."""
    parsed = parse_frame(frame)
    tags = parsed.tags
    if not parsed.cells_mv and 0x83 not in tags:
        raise DecodeError("legacy JK frame carries neither cells (0x79) nor pack voltage (0x83)")
    cells = [mv / 1000 for mv in parsed.cells_mv]
    for index, volts in enumerate(cells, 1):
        if volts > MAX_CELL_V:
            raise DecodeError(f"cell {index} reads {volts:.3f} V, above {MAX_CELL_V:g} V")

    def num(tag: int) -> int | None:
        value = tags.get(tag)
        return value if isinstance(value, int) else None

    values: Json = {}
    details: Json = {"protocol": "legacy_4e57"}
    if cells:
        low, high = min(cells), max(cells)
        values.update(cell_voltages_v=cells, cell_min_v=low, cell_max_v=high, cell_delta_v=round(high - low, 4))
        details.update(cell_extremes(cells))
    voltage = None if (centivolts := num(0x83)) is None else centivolts / 100
    if voltage is not None:
        values["voltage_v"] = voltage
    if (raw_current := num(0x84)) is not None:
        current = round(-current_wire(raw_current, num(0xC0)), 2) + 0.0
        values["current_a"] = current
        if voltage is not None:
            values["power_w"] = round(voltage * current, 1) + 0.0
    if (soc := num(0x85)) is not None:
        if soc > 100:
            raise DecodeError(f"SOC reads {soc} %, above 100")
        values["soc_pct"] = soc
    if (cycles := num(0x87)) is not None:
        values["cycles"] = cycles
    if (capacity := num(0xAA)) is not None:
        values["full_ah"] = float(capacity)
    temps = [_temperature(raw) for tag in (0x81, 0x82) if (raw := num(tag)) is not None]
    if temps:
        values["cell_temperatures_c"] = temps
        values["temperature_c"] = round(sum(temps) / len(temps), 1)
    if (mos := num(0x80)) is not None:
        details["mos_temperature_c"] = _temperature(mos)
    if (status := num(0x8C)) is not None:
        values.update(charge_enabled=bool(status & 1), discharge_enabled=bool(status & 2),
                      balancing=bool(status & 4))
        details["status_bits"] = status
    warnings = num(0x8B) or 0
    values["alarms"] = [WARNING_BITS.get(bit, f"warning_bit_{bit}") for bit in range(16) if warnings >> bit & 1]
    details.update(warning_bits=warnings, protocol_version=num(0xC0), cell_count=num(0x8A),
                   total_cycle_capacity_ah=num(0x89))
    values.update({k: v for k, v in identity_values(parsed).items() if v is not None})
    return Reading("battery", values, details)
