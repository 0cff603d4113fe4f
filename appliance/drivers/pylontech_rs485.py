"""Pylontech low-voltage batteries through the RS485 binary (ASCII-hex) protocol."""

from __future__ import annotations

import time
from statistics import mean

from appliance.clock import now_ms
from appliance.drivers.base import DECODE_HEX, DECODE_TEXT, Driver, Identity, Reading
from appliance.drivers.links import StreamLink
from appliance.drivers.pylontech_frames import (
    CMD_ALARM, CMD_ANALOG, CMD_MANAGEMENT, CMD_MANUFACTURER, CMD_SERIAL, EOI, SOI, AlarmModule, AnalogModule, Frame,
    check_reply,
    decode_alarm, decode_analog, decode_management, decode_manufacturer, decode_serial, frames_in_text, is_request,
    parse_frame, request,
)
from appliance.drivers.schemas import common, defaults_of, obj, serial_line
from appliance.errors import DecodeError, TransportError
from appliance.jsontypes import Json, JsonObject, as_json, number, to_float, to_int

SCHEMA = obj({
    **common("pylontech_rs485"),
    **serial_line(115200),
    "address": {"type": "integer", "minimum": 1, "maximum": 255, "default": 2,
                "description": "Address of the first pack (ADR)"},
    "batteries": {"type": "integer", "minimum": 1, "maximum": 16, "default": 1},
    "cells_per_battery": {"type": "integer", "minimum": 1, "maximum": 32, "default": 15},
    "read_limits": {"type": "boolean", "default": False,
                    "description": "Also read the master's charge/discharge limits (0x92)"},
}, ["serial_port"])

MAX_CELL_V = 5.0
_STATE_NAMES = {0x01: "low", 0x02: "high", 0xF0: "fault"}
#: Status1 bits (V3.3 §3.4) as alarm names.
_STATUS1 = {0x80: "pack_undervoltage", 0x40: "charge_overtemperature", 0x20: "discharge_overtemperature",
            0x10: "discharge_overcurrent", 0x04: "charge_overcurrent", 0x02: "cell_undervoltage",
            0x01: "pack_overvoltage"}
_MAX_REPLY = 4096


def _flip(current: float) -> float:
    # The wire counts charging as positive; the vocabulary counts discharging as positive.
    return round(-current, 1) + 0.0


def _alarm_names(alarm: AlarmModule) -> set[str]:
    names: set[str] = set()
    for group, states in (("cell_voltage", alarm["cell_states"]), ("temperature", alarm["temp_states"])):
        names.update(f"{group}_{_STATE_NAMES.get(s, 'fault')}" for s in states if s)
    for state, name in ((alarm["charge_current_state"], "charge_current"), (alarm["voltage_state"], "pack_voltage"),
                        (alarm["discharge_current_state"], "discharge_current")):
        if state:
            names.add(f"{name}_{_STATE_NAMES.get(state, 'fault')}")
    status = alarm["status"]
    names.update(name for bit, name in _STATUS1.items() if status[0] & bit)
    if status[3] or status[4]:
        names.add("cell_fault")
    return names


def pack_entry(index: int, address: int, analog: AnalogModule, alarm: AlarmModule | None,
               alarms: set[str]) -> Json:
    """One pack of the `batteries` list from its 0x42 (and 0x44) reply."""
    cells: list[float | None] = [mv / 1000 for mv in analog["cells_mv"]]
    if any(v is not None and not 0 <= v <= MAX_CELL_V for v in cells):
        alarms.add("implausible_cell_voltage")
        cells = [v if v is not None and 0 <= v <= MAX_CELL_V else None for v in cells]
    temps = analog["temps_c"]
    # Sensor order: BMS board, cell groups 1-4 .. 13-16, then optionally the MOSFET.
    cell_temps = temps[1:5] if len(temps) > 1 else temps
    total, remaining = analog["total_ah"], analog["remaining_ah"]
    soc = round(100 * remaining / total, 1) if total > 0 else None
    if soc is not None and soc > 100:
        alarms.add("implausible_soc")
        soc = None
    entry: Json = {
        "index": index, "address": address, "voltage_v": analog["voltage_v"],
        "current_a": _flip(analog["current_a"]), "soc_pct": soc, "remaining_ah": remaining, "full_ah": total,
        "cycles": analog["cycles"], "temperature_c": round(mean(cell_temps), 1) if cell_temps else None,
        "bms_temperature_c": temps[0] if temps else None,
        "mos_temperature_c": temps[5] if len(temps) > 5 else None,
        "cell_voltages_v": cells, "cell_temperatures_c": cell_temps, "status": "unknown",
    }
    known = [v for v in cells if v is not None]
    if known:
        entry.update(cell_min_v=min(known), cell_max_v=max(known))
    if alarm is not None:
        alarms.update(_alarm_names(alarm))
        status2, status3 = alarm["status"][1], alarm["status"][2]
        entry["status"] = "charge" if status3 & 0x80 else "dischg" if status3 & 0x40 else "idle"
        entry.update(charge_enabled=bool(status2 & 0x02), discharge_enabled=bool(status2 & 0x04),
                     full=bool(status3 & 0x08))
    return {k: v for k, v in entry.items() if v is not None}


def _always(entry: JsonObject, key: str) -> float:
    # Values every pack entry has (from its 0x42 reply).
    value = number(entry.get(key))
    if value is None:
        raise DecodeError(f"pack entry has no {key}")
    return value


def _present(packs: list[Json], key: str) -> list[float]:
    return [n for p in packs if (n := number(p.get(key))) is not None]


def bank_reading(packs: list[Json], alarms: set[str], details: Json) -> Reading:
    """The bank Reading from its pack entries: parallel packs share voltage and add currents."""
    values: Json = {"batteries": packs, "alarms": sorted(alarms)}
    values["voltage_v"] = round(mean(_always(p, "voltage_v") for p in packs), 3)
    values["current_a"] = round(sum(_always(p, "current_a") for p in packs), 1) + 0.0
    values["power_w"] = round(sum(_always(p, "voltage_v") * _always(p, "current_a") for p in packs), 1) + 0.0
    full = sum(_always(p, "full_ah") for p in packs)
    remaining = sum(_always(p, "remaining_ah") for p in packs)
    values.update(remaining_ah=round(remaining, 3), full_ah=round(full, 3))
    if full > 0 and remaining <= full:
        values["soc_pct"] = round(100 * remaining / full, 1)
    values["cycles"] = max(_always(p, "cycles") for p in packs)
    temps = _present(packs, "temperature_c")
    if temps:
        values["temperature_c"] = round(mean(temps), 1)
    lows, highs = _present(packs, "cell_min_v"), _present(packs, "cell_max_v")
    if lows:
        values.update(cell_min_v=min(lows), cell_max_v=max(highs), cell_delta_v=round(max(highs) - min(lows), 3))
    if len(packs) == 1:
        values["cell_voltages_v"] = packs[0]["cell_voltages_v"]
        values["cell_temperatures_c"] = packs[0]["cell_temperatures_c"]
    for flag in ("charge_enabled", "discharge_enabled"):
        if all(flag in p for p in packs):
            values[flag] = all(p[flag] for p in packs)
    return Reading(kind="battery", values=values, details=details)


def reading_from_frame(frame: Frame) -> Reading:
    """Decode one reply frame, recognising the command by the shape of its INFO."""
    info = frame.info
    if len(info) == 17 and all(32 <= b < 127 or b == 0 for b in info[1:]):
        return Reading(kind="battery", values={}, details={"serial_number": decode_serial(info)})
    if len(info) == 10:
        limits = decode_management(info)
        return Reading(kind="battery", values={"charge_enabled": limits["charge_enabled"],
                                               "discharge_enabled": limits["discharge_enabled"]},
                       details=as_json(limits))
    if len(info) == 32 and all(32 <= b < 127 or b == 0 for b in info[:10]):
        return Reading(kind="battery", values={}, details=decode_manufacturer(info))
    try:
        flag, modules = decode_analog(info)
    except DecodeError as analog_error:
        try:
            flag, alarm_modules = decode_alarm(info)
        except DecodeError:
            raise DecodeError(f"unknown frame type: {analog_error}") from analog_error
        names: set[str] = set()
        for module in alarm_modules:
            names |= _alarm_names(module)
        status2 = [m["status"][1] for m in alarm_modules]
        return Reading(kind="battery", values={"alarms": sorted(names),
                                               "charge_enabled": all(s & 0x02 for s in status2),
                                               "discharge_enabled": all(s & 0x04 for s in status2)},
                       details={"dataflag": flag, "alarm_modules": [as_json(m) for m in alarm_modules]})
    alarms: set[str] = set()
    packs = [pack_entry(i + 1, frame.adr + i, m, None, alarms) for i, m in enumerate(modules)]
    return bank_reading(packs, alarms, {"dataflag": flag})


def reply_in_text(text: str) -> Frame:
    """The one reply frame of a capture; DecodeError when it holds none or several (a frame at a time)."""
    frames = [parse_frame(raw) for raw in frames_in_text(text)]
    if not frames:
        raise DecodeError("the text holds no `~` frame (a Pylontech RS485 line starts with ~20)")
    replies = [frame for frame in frames if not is_request(frame)]
    if not replies:
        raise DecodeError(f"the text holds {len(frames)} request frame(s) and no pack reply")
    if len(replies) > 1:
        raise DecodeError(f"the text holds {len(replies)} pack replies: give one reply at a time")
    return replies[0]


class PylontechRs485Driver(Driver):
    """Pylontech low-voltage batteries through the RS485 binary protocol."""

    adapter_type = "pylontech_rs485"
    category = "battery"
    name = "Pylontech RS485 Adapter"
    description = "Pylontech/Pytes packs through the RS485 binary protocol (V3.3)"
    transports = ("serial",)
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
    decode_inputs = frozenset({DECODE_HEX, DECODE_TEXT})
    link: StreamLink

    @classmethod
    def decode(cls, frame: bytes | None = None, text: str | None = None) -> Reading:
        """Decode one reply frame: the line's bytes (`~...\\r`), or text copied from a serial monitor that
        holds it (`~20024600C06E...`; request lines beside it are skipped)."""
        if text is not None:
            return reading_from_frame(check_reply(reply_in_text(text)))
        if frame is None:
            raise DecodeError("give a frame or the text of a captured line")
        return reading_from_frame(check_reply(parse_frame(bytes(frame))))

    def exchange(self, adr: int, command: int) -> Frame:
        """Send one request and return the checked reply from that address."""
        sent = request(adr, command)
        timeout = to_float(self.config["timeout_s"], "timeout_s")
        deadline = time.monotonic() + timeout
        self.link.reset_input()
        self.link.write(sent)
        data = b""
        while SOI not in data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TransportError(f"no reply from pack {adr:02X} within {timeout:g} s")
            # Junk before `~` (a half frame, line noise) is dropped line by line.
            data = self.link.read_until(EOI, remaining, _MAX_REPLY)
        data = data[data.rfind(SOI):]
        if data == sent:
            raise DecodeError("the line echoes the request: not a Pylontech RS485 pack (a console port?)")
        return check_reply(parse_frame(data), adr)

    def identify(self) -> Identity:
        """Model and firmware from 0x51, serial number from 0x93, of the first pack."""
        adr = to_int(self.config["address"], "address")
        maker = decode_manufacturer(self.exchange(adr, CMD_MANUFACTURER).info)
        serial = decode_serial(self.exchange(adr, CMD_SERIAL).info)
        return Identity(adapter_type=self.adapter_type, model=maker["model"] or None,
                        serial_number=serial or None,
                        details={"manufacturer": maker["manufacturer"],
                                 "software_version": maker["software_version"]})

    def read(self) -> Reading:
        """Analog values and alarms of each pack from `address` on, as one bank Reading."""
        first, count = to_int(self.config["address"], "address"), to_int(self.config["batteries"], "batteries")
        alarms: set[str] = set()
        packs = []
        for i in range(count):
            adr = first + i
            _, analog = decode_analog(self.exchange(adr, CMD_ANALOG).info, all_packs=False)
            _, alarm = decode_alarm(self.exchange(adr, CMD_ALARM).info, all_packs=False)
            packs.append(pack_entry(i + 1, adr, analog[0], alarm[0], alarms))
        details: Json = {}
        if self.config.get("read_limits", False):
            details["limits"] = as_json(decode_management(self.exchange(first, CMD_MANAGEMENT).info))
        reading = bank_reading(packs, alarms, details)
        return Reading(kind=reading.kind, values=reading.values, details=reading.details,
                       ts_ms=now_ms())
