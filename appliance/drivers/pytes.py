"""Pytes and Pylontech battery banks through the RS232 text console."""

from __future__ import annotations

import time
from statistics import mean
from typing import Mapping

from appliance.clock import now_ms
from appliance.drivers.base import DECODE_TEXT, Driver, Identity, Reading
from appliance.drivers.links import StreamLink
from appliance.drivers.pylontech_console import (
    PAGING_END, REPLY_END, CellRow, Session, UnitRow, cycles_of, identity_of, merge, parse_session,
)
from appliance.drivers.schemas import common, defaults_of, obj, serial_line
from appliance.errors import DecodeError, TransportError
from appliance.jsontypes import Json, number, to_float, to_int

SCHEMA = obj({
    **common("pytes"),
    **serial_line(115200),
    "batteries": {"type": "integer", "minimum": 1, "maximum": 16, "default": 1,
                  "description": "Battery units in the bank"},
    "cells_per_battery": {"type": "integer", "minimum": 1, "maximum": 32, "default": 15},
    "read_cells": {"type": "boolean", "default": True,
                   "description": "Send `bat N` per unit for cell voltages (slower on big banks)"},
    "read_cycles": {"type": "boolean", "default": False,
                    "description": "Send `stat` for the cycle count (Pytes V5 answers `stat` only)"},
}, ["serial_port"])

#: Physical limits beyond which a value is a misread, not a measurement.
MAX_CELL_V, MAX_SOC = 5.0, 100
#: Console replies are a few kB; far more means a runaway or a wrong device.
MAX_REPLY_BYTES = 65536
MAX_PAGES = 64
#: Quiet time after which a paging prompt counts as complete.
PAGING_QUIET_S = 0.05
_NORMAL = {"normal", "-", ""}
_STATUS_ALARM = {"Volt.St": "voltage", "Curr.St": "current", "Temp.St": "temperature",
                 "B.V.St": "cell_voltage", "B.T.St": "cell_temperature", "M.T.St": "mos_temperature",
                 "SysAlarm.St": "system_alarm", "Coul.St": "coulomb"}
_STATUS_DETAIL = {"Base.St": "basic_status", "Volt.St": "volt_status", "Curr.St": "current_status",
                  "Temp.St": "temp_status", "Coul.St": "coulomb_status", "B.V.St": "cell_volt_status",
                  "B.T.St": "cell_temp_status", "M.T.St": "mos_temp_status", "SysAlarm.St": "sys_alarm_status"}


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _flip(current: float | None) -> float | None:
    # The console counts charging as positive; the vocabulary counts discharging as positive.
    return None if current is None else round(-current, 3) + 0.0


def _unit_alarms(unit: UnitRow, alarms: set[str]) -> None:
    for key, name in _STATUS_ALARM.items():
        state = unit.statuses.get(key, "").lower()
        if state not in _NORMAL:
            alarms.add(f"{name}_{state.replace(' ', '_')}")
    base = unit.statuses.get("Base.St", "").lower()
    if base in ("syserror", "error", "fault"):
        alarms.add("system_error")


def _plausible_cells(cells: list[float | None], alarms: set[str]) -> list[float | None]:
    if any(v is not None and not 0 <= v <= MAX_CELL_V for v in cells):
        alarms.add("implausible_cell_voltage")
    return [v if v is not None and 0 <= v <= MAX_CELL_V else None for v in cells]


def _plausible_soc(soc: int | None, alarms: set[str]) -> int | None:
    if soc is not None and not 0 <= soc <= MAX_SOC:
        alarms.add("implausible_soc")
        return None
    return soc


def _unit_entry(unit: UnitRow, cells: tuple[CellRow, ...], info: Mapping[str, str] | None,
                alarms: set[str]) -> Json:
    ident = identity_of(info or {})
    entry: Json = {"index": unit.index, "status": (unit.statuses.get("Base.St") or "unknown").lower()}
    if not unit.present:
        entry["status"] = "absent"
        return entry
    _unit_alarms(unit, alarms)
    low, high = _plausible_cells([unit.cell_min_v, unit.cell_max_v], alarms)
    entry.update({
        "voltage_v": unit.voltage_v, "current_a": _flip(unit.current_a), "temperature_c": unit.temperature_c,
        "soc_pct": _plausible_soc(unit.soc_pct, alarms), "cell_min_v": low, "cell_max_v": high,
        "temperature_min_c": unit.temp_low_c, "temperature_max_c": unit.temp_high_c,
        "mos_temperature_c": unit.mos_temperature_c,
        "serial_number": unit.serial_number or ident["serial_number"], "model": unit.model or ident["model"],
    })
    if cells:
        volts = _plausible_cells([c.voltage_v for c in cells], alarms)
        entry["cell_voltages_v"] = volts
        entry["cell_temperatures_c"] = [c.temperature_c for c in cells]
        flags = [c.balancing for c in cells if c.balancing is not None]
        entry["balancing"] = any(flags) if flags else None
        known = [v for v in volts if v is not None]
        if known:
            entry["cell_min_v"], entry["cell_max_v"] = min(known), max(known)
        if any(c.statuses.get("Volt. State", "normal").lower() not in _NORMAL for c in cells):
            alarms.add("cell_voltage_state")
    return {k: v for k, v in entry.items() if v is not None}


def reading_from_session(session: Session, expected_units: int | None = None) -> Reading:
    """Build the bank Reading from parsed console output; `expected_units` marks missing units as absent."""
    if session.empty:
        raise DecodeError("no pwr, bat, info or stat output found in the console text")
    alarms: set[str] = set()
    units = dict(session.units)
    for index in session.cells:
        units.setdefault(index, UnitRow(index=index, present=True))
    if expected_units is not None:
        for index in range(1, expected_units + 1):
            if index not in units or not units[index].present:
                units[index] = UnitRow(index=index, present=False)
                alarms.add("unit_absent")
        units = {i: u for i, u in units.items() if i <= expected_units or u.present}
    else:
        # Captures list all 16 slots: keep absent slots only below the last present unit.
        last = max((i for i, u in units.items() if u.present), default=0)
        units = {i: u for i, u in units.items() if u.present or i < last}
    entries = [_unit_entry(units[i], session.cells.get(i, ()), session.info.get(i), alarms) for i in sorted(units)]
    present = [e for e in entries if e["status"] != "absent"]
    values: Json = {"batteries": entries}

    def col(name: str) -> list[float]:
        return [n for e in present if (n := number(e.get(name))) is not None]

    if col("voltage_v"):
        values["voltage_v"] = _r(mean(col("voltage_v")), 3)
    if col("current_a"):
        values["current_a"] = _r(sum(col("current_a")), 3)
    powers = [v * a for e in present if (v := number(e.get("voltage_v"))) is not None
              and (a := number(e.get("current_a"))) is not None]
    if powers:
        values["power_w"] = round(sum(powers), 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    if col("soc_pct"):
        values["soc_pct"] = _r(mean(col("soc_pct")), 1)
    if col("temperature_c"):
        values["temperature_c"] = _r(mean(col("temperature_c")), 1)
    lows, highs = col("cell_min_v"), col("cell_max_v")
    if lows and highs:
        values.update(cell_min_v=min(lows), cell_max_v=max(highs), cell_delta_v=round(max(highs) - min(lows), 3))
    if len(present) == 1 and "cell_voltages_v" in present[0]:
        values["cell_voltages_v"] = present[0]["cell_voltages_v"]
        values["cell_temperatures_c"] = present[0]["cell_temperatures_c"]
    balancing = [flag for e in present if isinstance(flag := e.get("balancing"), bool)]
    if balancing:
        values["balancing"] = any(balancing)
    cycles = [c for c in (cycles_of(kv) for kv in session.stat.values()) if c is not None]
    if cycles:
        values["cycles"] = max(cycles)
    values["alarms"] = sorted(alarms)
    details: Json = {"units": [
        {"index": u.index, **{_STATUS_DETAIL[k]: v for k, v in u.statuses.items() if k in _STATUS_DETAIL}}
        for u in (units[i] for i in sorted(units)) if u.present]}
    if session.info:
        first = session.info[min(session.info)]
        details.update({k: v for k, v in identity_of(first).items() if v is not None})
    return Reading(kind="battery", values=values, details=details)


class PytesDriver(Driver):
    """Pytes and Pylontech battery banks through the RS232 text console."""

    adapter_type = "pytes"
    category = "battery"
    name = "Pytes Battery Adapter"
    description = "Pytes and Pylontech batteries through the console port (pwr, bat, info, stat)"
    transports = ("serial",)
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
    decode_inputs = frozenset({DECODE_TEXT})
    link: StreamLink

    @classmethod
    def decode(cls, text: str) -> Reading:
        """Decode a captured console session (pwr, bat N, pwr N, info N, stat) into one Reading."""
        if not isinstance(text, str):
            raise DecodeError("console text must be a string")
        return reading_from_session(parse_session(text))

    def command(self, line: str, timeout: float | None = None) -> str:
        """Send one console command and return its whole reply, answering the paging prompt with Enter."""
        wait = timeout if timeout is not None else to_float(self.config["timeout_s"], "timeout_s")
        deadline = time.monotonic() + wait
        self.link.reset_input()
        self.link.write(line.encode("ascii") + b"\n")
        buffer, pages = bytearray(), 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TransportError(f"console gave no complete reply to {line!r} within {wait:g} s")
            # The paging prompt has no terminator: it is complete once the line stays quiet briefly.
            tail = buffer[-120:]
            # The regex only where a prompt can be: it ran for every byte read and was most of a poll's CPU.
            paging = bool(buffer) and not buffer.endswith((b"\r", b"\n")) and (b"nter" in tail or b"NTER" in tail) \
                and PAGING_END.search(tail)
            try:
                buffer += self.link.read(1, min(remaining, PAGING_QUIET_S) if paging else remaining)
                # And whatever has arrived with it: the checks below then run per chunk, not per byte.
                buffer += self.link.read_available(0)
            except TransportError:
                if not paging:
                    raise
                pages += 1
                if pages > MAX_PAGES:
                    raise DecodeError(f"console reply to {line!r} pages more than {MAX_PAGES} times") from None
                # Enter asks the console for the next page; the deadline restarts per page.
                self.link.write(b"\n")
                buffer += b"\n"
                deadline = time.monotonic() + wait
                continue
            if len(buffer) > MAX_REPLY_BYTES:
                raise DecodeError(f"console reply to {line!r} exceeds {MAX_REPLY_BYTES} bytes")
            if buffer[-1:] == b">" and REPLY_END.search(buffer[-400:]):
                break
        try:
            return buffer.decode("ascii")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"console reply to {line!r} is not ASCII text: {exc}") from exc

    def identify(self) -> Identity:
        """Model and serial number from `info 1`; a device that does not speak the console fails here."""
        # Bytes of an earlier probe (another family, another baud rate) may sit in the console's line
        # buffer and would prefix `info 1`: Enter ends that line first, and its answer is dropped.
        self.link.write(b"\n")
        self.link.read_available(PAGING_QUIET_S)
        session = parse_session(self.command("info 1"), "info", 1)
        if 1 not in session.info:
            raise DecodeError("no `info` output: the device does not speak the Pylontech/Pytes console")
        ident = identity_of(session.info[1])
        if ident["model"] is None and ident["serial_number"] is None:
            raise DecodeError("`info 1` named neither a device nor a barcode")
        extras = {k: v for k, v in ident.items() if k not in ("model", "serial_number") and v is not None}
        return Identity(adapter_type=self.adapter_type, model=str(ident["model"] or "") or None,
                        serial_number=str(ident["serial_number"] or "") or None, details=extras)

    def read(self) -> Reading:
        """`pwr` for the bank, then `bat N` per present unit (and `stat` when asked), as one Reading."""
        count = to_int(self.config["batteries"], "batteries")
        # Each reply is parsed with the command we sent, so a console that does not echo still works.
        session = parse_session(self.command("pwr"), "pwr")
        if not any(u.present for u in session.units.values()):
            raise DecodeError("`pwr` listed no present battery unit")
        parts = [session]
        if self.config.get("read_cells", True):
            parts += [parse_session(self.command(f"bat {i}"), "bat", i) for i in sorted(session.units)
                      if i <= count and session.units[i].present]
        if self.config.get("read_cycles", False):
            parts.append(parse_session(self.command("stat"), "stat", 1))
        reading = reading_from_session(merge(parts), expected_units=count)
        return Reading(kind=reading.kind, values=reading.values, details=reading.details,
                       ts_ms=now_ms())
