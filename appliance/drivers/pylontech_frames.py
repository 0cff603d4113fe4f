"""Pylontech RS485 protocol V3.3 (ASCII-hex): frame building, checking and INFO decoding; pure functions."""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Callable, TypedDict, TypeVar

from appliance.errors import DecodeError, TransportError

VER, CID1 = 0x20, 0x46
SOI, EOI = b"~", b"\r"
CMD_ANALOG, CMD_ALARM, CMD_MANUFACTURER, CMD_MANAGEMENT, CMD_SERIAL = 0x42, 0x44, 0x51, 0x92, 0x93
ALL_PACKS = 0xFF
#: RTN codes of a reply (V3.3 §2.3): which side is at fault decides the error class.
RTN_NAMES = {0x01: "VER error", 0x02: "CHKSUM error", 0x03: "LCHKSUM error", 0x04: "CID2 invalid",
             0x05: "command format error", 0x06: "invalid data", 0x90: "ADR error",
             0x91: "master-slave communication error"}
#: Our request arrived damaged, or the pack is not there: a link problem, worth a retry.
RTN_TRANSPORT = frozenset({0x02, 0x03, 0x90, 0x91})
#: Kelvin offset of temperatures in 0.1 K.
KELVIN_01 = 2731
_HEX = frozenset(b"0123456789ABCDEFabcdef")


class AnalogModule(TypedDict):
    """One pack's 0x42 values: cells in mV, temperatures in °C, current + = charge (the wire's sign)."""

    cells_mv: list[int]
    temps_c: list[float]
    current_a: float
    voltage_v: float
    remaining_ah: float
    total_ah: float
    cycles: int
    udi: int


class AlarmModule(TypedDict):
    """One pack's 0x44 state bytes (00 ok, 01 low, 02 high, F0 other) and Status1..5."""

    cell_states: list[int]
    temp_states: list[int]
    charge_current_state: int
    voltage_state: int
    discharge_current_state: int
    status: list[int]


class Limits(TypedDict):
    """The master's 0x92 charge/discharge limits and enable flags."""

    charge_voltage_limit_v: float
    discharge_voltage_limit_v: float
    charge_current_limit_a: float
    discharge_current_limit_a: float
    charge_enabled: bool
    discharge_enabled: bool
    full_charge_request: bool
    flags: int


Module = TypeVar("Module", AnalogModule, AlarmModule)


@dataclass(frozen=True)
class Frame:
    """One checked frame: header fields and the hex-decoded INFO bytes."""

    ver: int
    adr: int
    cid1: int
    cid2: int
    info: bytes


def length_field(lenid: int) -> str:
    """LENGTH as 4 hex characters: LCHKSUM nibble over the three LENID nibbles, then LENID."""
    total = (lenid & 0xF) + ((lenid >> 4) & 0xF) + ((lenid >> 8) & 0xF)
    lchk = (~(total % 16) + 1) & 0xF
    return f"{(lchk << 12) | (lenid & 0xFFF):04X}"


def checksum(body: bytes) -> int:
    """CHKSUM: two's complement of the sum of the ASCII codes from VER to the end of INFO."""
    return (~sum(body) + 1) & 0xFFFF


def build_frame(adr: int, cid2: int, info: bytes = b"", *, ver: int = VER, cid1: int = CID1) -> bytes:
    """A complete frame `~ ... \\r` (requests carry the command in CID2, replies the RTN)."""
    info_hex = info.hex().upper()
    body = f"{ver:02X}{adr:02X}{cid1:02X}{cid2:02X}{length_field(len(info_hex))}{info_hex}".encode("ascii")
    return SOI + body + f"{checksum(body):04X}".encode("ascii") + EOI


def request(adr: int, command: int, target: int | None = None) -> bytes:
    """A request frame; commands that address a pack repeat its address (or FF for 0x42/0x44) in INFO."""
    if command == CMD_MANUFACTURER:
        return build_frame(adr, command)
    return build_frame(adr, command, bytes([adr if target is None else target]))


def parse_frame(data: bytes) -> Frame:
    """Check one frame (SOI, hex, LCHKSUM, LENID, CHKSUM) and return its fields; DecodeError names the fault."""
    start = data.rfind(SOI)
    if start < 0:
        raise DecodeError("no `~` start of frame")
    raw = data[start + 1:]
    if raw.endswith(EOI):
        raw = raw[:-1]
    elif raw.endswith(b"\r\n"):
        raw = raw[:-2]
    if len(raw) < 16:
        raise DecodeError(f"short frame: {len(raw)} characters after `~`, at least 16 needed")
    if not set(raw) <= _HEX:
        raise DecodeError("frame holds characters that are not hex digits")
    body, chk = raw[:-4], int(raw[-4:], 16)
    if checksum(body) != chk:
        raise DecodeError(f"bad checksum: frame says {chk:04X}, computed {checksum(body):04X}")
    length = int(body[8:12], 16)
    lenid = length & 0xFFF
    if length_field(lenid) != body[8:12].decode("ascii").upper():
        raise DecodeError(f"bad LCHKSUM in LENGTH {body[8:12].decode('ascii')}")
    info_hex = body[12:]
    if lenid != len(info_hex):
        raise DecodeError(f"short frame: LENID says {lenid} INFO characters, frame has {len(info_hex)}")
    if lenid % 2:
        raise DecodeError(f"odd INFO length {lenid}")
    return Frame(ver=int(body[0:2], 16), adr=int(body[2:4], 16), cid1=int(body[4:6], 16),
                 cid2=int(body[6:8], 16), info=bytes.fromhex(info_hex.decode("ascii")))


_FRAME_TEXT = re.compile(rb"~([0-9A-Fa-f]+)")


def frames_in_text(text: str) -> list[bytes]:
    """Every `~...` frame in text as a serial monitor shows it: the hex run after `~`, ended with `\r`.

    Whatever the monitor adds around a frame (timestamps, "<CR>", a trailing `\r\n`) is ignored."""
    return [SOI + match.group(1) + EOI for match in _FRAME_TEXT.finditer(text.encode("ascii", "replace"))]


def is_request(frame: Frame) -> bool:
    """Whether a parsed frame is a host's command (CID2 a command code) rather than a pack's reply (RTN)."""
    return frame.cid2 != 0 and frame.cid2 not in RTN_NAMES


def check_reply(frame: Frame, adr: int | None = None) -> Frame:
    """Raise on an error RTN (TransportError for link faults, DecodeError otherwise) or a foreign address."""
    if frame.cid1 != CID1:
        raise DecodeError(f"CID1 {frame.cid1:02X} is not a battery reply (46)")
    if frame.cid2 != 0:
        name = RTN_NAMES.get(frame.cid2, "unknown RTN")
        error = TransportError if frame.cid2 in RTN_TRANSPORT else DecodeError
        raise error(f"pack {frame.adr:02X} answered RTN {frame.cid2:02X} ({name})")
    if adr is not None and frame.adr != adr:
        raise DecodeError(f"reply from address {frame.adr:02X}, expected {adr:02X}")
    return frame


class _Cursor:
    """Big-endian reader over INFO bytes that raises DecodeError when it runs short."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, size: int) -> bytes:
        """The next `size` bytes."""
        if self.pos + size > len(self.data):
            raise DecodeError(f"short {self.what} INFO: needs byte {self.pos + size}, has {len(self.data)}")
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def u(self, size: int = 1) -> int:
        """An unsigned big-endian integer of `size` bytes."""
        return int.from_bytes(self.take(size), "big")

    def i16(self) -> int:
        """A signed big-endian 16-bit integer."""
        return int.from_bytes(self.take(2), "big", signed=True)

    @property
    def left(self) -> int:
        """Bytes not read yet."""
        return len(self.data) - self.pos


def _analog_module(cur: _Cursor) -> AnalogModule:
    cells = [cur.i16() for _ in range(cur.u())]
    temps = [cur.i16() for _ in range(cur.u())]
    current, voltage, remaining, udi = cur.i16(), cur.u(2), cur.u(2), cur.u()
    total, cycles = cur.u(2), cur.u(2)
    if udi >= 4:
        # Packs over 65 Ah set the u16 capacities to FFFF and append them as u24.
        remaining, total = cur.u(3), cur.u(3)
    return {"cells_mv": cells, "temps_c": [round((t - KELVIN_01) / 10, 1) for t in temps],
            "current_a": round(current / 10, 1), "voltage_v": voltage / 1000, "remaining_ah": remaining / 1000,
            "total_ah": total / 1000, "cycles": cycles, "udi": udi}


def _alarm_module(cur: _Cursor) -> AlarmModule:
    cells = list(cur.take(cur.u()))
    temps = list(cur.take(cur.u()))
    charge, voltage, discharge = cur.u(), cur.u(), cur.u()
    status = list(cur.take(5))
    return {"cell_states": cells, "temp_states": temps, "charge_current_state": charge,
            "voltage_state": voltage, "discharge_current_state": discharge, "status": status}


def _modules(info: bytes, what: str, one: Callable[[_Cursor], Module], all_packs: bool | None,
             slack: int) -> tuple[int, list[Module]]:
    """DATAFLAG, then one module (single pack) or a count and that many (FF); pick the layout that fits."""
    if len(info) < 2:
        raise DecodeError(f"short {what} INFO: {len(info)} bytes")
    errors: list[str] = []
    layouts = [True, False] if all_packs is None else [all_packs]
    for many in layouts:
        cur = _Cursor(info, what)
        cur.take(2)
        try:
            modules = [one(cur) for _ in range(info[1] if many else 1)]
        except DecodeError as exc:
            errors.append(str(exc))
            continue
        # Real US2000C replies carry one byte past the V3.3 layout; more than that is a wrong layout.
        if modules and 0 <= cur.left <= slack:
            return info[0], modules
        errors.append(f"{cur.left} bytes left after {len(modules)} module(s)")
    raise DecodeError(f"{what} INFO does not fit the V3.3 layout: {'; '.join(errors)}")


def decode_analog(info: bytes, all_packs: bool | None = None) -> tuple[int, list[AnalogModule]]:
    """0x42 reply INFO: DATAFLAG and per-module cells (mV), temperatures (°C), current (+ = charge), capacities."""
    return _modules(info, "analog", _analog_module, all_packs, slack=1)


def decode_alarm(info: bytes, all_packs: bool | None = None) -> tuple[int, list[AlarmModule]]:
    """0x44 reply INFO: per-module state bytes (00 ok, 01 low, 02 high, F0 other) and Status1..5."""
    return _modules(info, "alarm", _alarm_module, all_packs, slack=1)


def decode_manufacturer(info: bytes) -> dict[str, str]:
    """0x51 reply INFO: device name (10 B), software version (2 B), manufacturer (20 B)."""
    if len(info) < 32:
        raise DecodeError(f"short manufacturer INFO: {len(info)} of 32 bytes")
    return {"model": _padded_text(info[0:10]), "software_version": f"{info[10]}.{info[11]}",
            "manufacturer": _padded_text(info[12:32])}


def _padded_text(raw: bytes) -> str:
    # Names are padded with NULs (device name) or dashes (manufacturer).
    return raw.decode("ascii", "replace").replace("\x00", "").strip().rstrip("-").strip()


def decode_management(info: bytes) -> Limits:
    """0x92 reply INFO: charge/discharge voltage and current limits and the enable flags."""
    if len(info) != 10:
        raise DecodeError(f"management INFO has {len(info)} bytes, 10 expected")
    cur = _Cursor(info, "management")
    cur.u()
    vchg, vdis, ichg, idis, flags = cur.u(2), cur.u(2), cur.i16(), cur.i16(), cur.u()
    return {"charge_voltage_limit_v": vchg / 1000, "discharge_voltage_limit_v": vdis / 1000,
            "charge_current_limit_a": ichg / 10, "discharge_current_limit_a": idis / 10,
            "charge_enabled": bool(flags & 0x80), "discharge_enabled": bool(flags & 0x40),
            "full_charge_request": bool(flags & 0x08), "flags": flags}


def decode_serial(info: bytes) -> str:
    """0x93 reply INFO: the command value, then a 16-character ASCII serial number."""
    if len(info) != 17:
        raise DecodeError(f"serial INFO has {len(info)} bytes, 17 expected")
    raw = info[1:]
    if not all(32 <= b < 127 or b == 0 for b in raw):
        raise DecodeError("serial number is not printable ASCII")
    return raw.decode("ascii").replace("\x00", "").strip()
