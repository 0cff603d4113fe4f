"""Pylontech packs speaking the RS485 binary protocol V3.3 on a pseudo-terminal."""

from __future__ import annotations

from typing import Any, Mapping

from appliance.drivers.pylontech_frames import (
    ALL_PACKS, CMD_ALARM, CMD_ANALOG, CMD_MANAGEMENT, CMD_MANUFACTURER, CMD_SERIAL, KELVIN_01, SOI, EOI,
    build_frame, parse_frame,
)
from appliance.errors import DecodeError
from appliance.sim.pylontech_pty import PtyServer, Values, present, units_of

RTN_CHKSUM, RTN_CID2 = 0x02, 0x04


def _i16(value: float) -> bytes:
    return int(round(value)).to_bytes(2, "big", signed=True)


def _u(value: float, size: int) -> bytes:
    return max(0, min(int(round(value)), (1 << (8 * size)) - 1)).to_bytes(size, "big")


def analog_module(unit: Mapping[str, Any]) -> bytes:
    """One module of a 0x42 reply from vocabulary values (current + = discharging is turned to + = charge)."""
    cells = unit.get("cell_voltages_v") or [unit.get("voltage_v", 48.0) / 15] * 15
    temperature = float(unit.get("temperature_c", 25.0))
    cell_temps = list(unit.get("cell_temperatures_c") or [temperature] * 4)
    temps = [float(unit.get("bms_temperature_c", temperature))] + cell_temps
    full_mah = float(unit.get("full_ah", 50.0)) * 1000
    remaining_mah = full_mah * float(unit.get("soc_pct", 50.0)) / 100
    voltage = float(unit.get("voltage_v") or sum(cells))
    out = bytes([len(cells)]) + b"".join(_i16(v * 1000) for v in cells)
    out += bytes([len(temps)]) + b"".join(_i16(t * 10 + KELVIN_01) for t in temps)
    out += _i16(-float(unit.get("current_a", 0.0)) * 10) + _u(voltage * 1000, 2)
    cycles = _u(float(unit.get("cycles", 0)), 2)
    if full_mah > 65535:
        # UDI = 4: packs over 65 Ah put FFFF in the u16 capacities and append them as u24.
        return out + b"\xff\xff\x04\xff\xff" + cycles + _u(remaining_mah, 3) + _u(full_mah, 3)
    return out + _u(remaining_mah, 2) + b"\x02" + _u(full_mah, 2) + cycles


def alarm_module(unit: Mapping[str, Any]) -> bytes:
    """One module of a 0x44 reply: all states normal, both FETs on, charging/discharging from the current."""
    cells = unit.get("cell_voltages_v") or [3.3] * 15
    states = bytes(2 if v > 3.65 else 1 if v < 2.5 else 0 for v in cells)
    temps = 1 + len(unit.get("cell_temperatures_c") or [0] * 4)
    current = float(unit.get("current_a", 0.0))
    status3 = 0x40 if current > 0 else 0x80 if current < 0 else 0
    return bytes([len(cells)]) + states + bytes([temps]) + bytes(temps) + bytes(3) + bytes([0, 0x0E, status3, 0, 0])


class PylontechRs485Sim(PtyServer):
    """Answers 0x42/0x44/0x51/0x92/0x93 for packs at `address`, `address`+1, ...; other addresses stay silent."""

    def __init__(self, values: Values | None = None, *, address: int = 2, fault: str | None = None,
                 seed: int = 7, model: str = "US3000C") -> None:
        super().__init__(values, fault=fault, seed=seed)
        self.address, self.model = address, model
        self._buffer = bytearray()

    def packs(self) -> dict[int, dict[str, Any]]:
        """Present units of the current snapshot by their bus address."""
        units = [u for u in units_of(self.values()) if present(u)]
        return {self.address + i: u for i, u in enumerate(units)}

    def reply_info(self, adr: int, cid2: int, info: bytes) -> tuple[int, bytes]:
        """(RTN, INFO) of the reply to one request."""
        packs = self.packs()
        target = info[0] if info else adr
        if cid2 in (CMD_ANALOG, CMD_ALARM):
            module = analog_module if cid2 == CMD_ANALOG else alarm_module
            flag = bytes([0x11 if cid2 == CMD_ANALOG else 0x10])
            if target == ALL_PACKS:
                stack = [packs[a] for a in sorted(packs)]
                return 0, flag + bytes([len(stack)]) + b"".join(module(u) for u in stack)
            return 0, flag + bytes([adr]) + module(packs[adr])
        if cid2 == CMD_MANUFACTURER:
            return 0, self.model.encode().ljust(10, b"\0") + b"\x01\x07" + b"Pylon".ljust(20, b"-")
        if cid2 == CMD_SERIAL:
            serial = str(packs[adr].get("serial_number", f"SIM{adr:013d}"))[:16].ljust(16)
            return 0, bytes([adr]) + serial.encode("ascii", "replace")
        if cid2 == CMD_MANAGEMENT:
            return 0, bytes([adr]) + _u(53250, 2) + _u(44000, 2) + _i16(740) + _i16(-740) + b"\xc0"
        return RTN_CID2, b""

    def answer(self, request: bytes) -> bytes | None:
        """The reply frame to one request frame, or None when it is not for one of our packs."""
        try:
            frame = parse_frame(request)
        except DecodeError:
            # A damaged request that still names one of our packs gets RTN 02, as a real pack does.
            body = request[request.rfind(SOI) + 1:]
            try:
                adr = int(body[2:4], 16)
            except ValueError:
                return None
            return build_frame(adr, RTN_CHKSUM) if adr in self.packs() else None
        if frame.adr not in self.packs():
            return None
        rtn, info = self.reply_info(frame.adr, frame.cid2, frame.info)
        return build_frame(frame.adr, rtn, info)

    def handle(self, data: bytes) -> None:
        """Split the input into `~...\\r` requests and answer each, acting out the configured fault."""
        self._buffer += data
        while (end := self._buffer.find(EOI)) >= 0:
            line, self._buffer = bytes(self._buffer[:end + 1]), self._buffer[end + 1:]
            if SOI not in line:
                continue
            self.requests += 1
            reply = self.answer(line)
            if reply is None or self.fault == "timeout":
                continue
            if self.fault == "bad_checksum":
                reply = reply[:-5] + (b"0000" if reply[-5:-1] != b"0000" else b"FFFF") + EOI
            elif self.fault == "truncated":
                reply = reply[: len(reply) // 2] + EOI
            elif self.fault == "garbage":
                reply = self.garbage() + EOI
            self.send(reply)
        if len(self._buffer) > 4096:
            self._buffer.clear()
