"""Pure parsing of the Pylontech/Pytes RS232 console: captured text -> unit and cell structures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from appliance.errors import DecodeError

#: Commands whose output the parser understands (the echo line tells which one a block is).
COMMANDS = ("pwr", "bat", "info", "stat", "soh")
PAGING = re.compile(r"press\s*\[?enter\]?[^\r\n]*", re.IGNORECASE)
#: A reply is complete once `$$` (or the completion line) is followed by a prompt such as `pylon>`.
REPLY_END = re.compile(rb"(\$\$|Command completed[^\r\n]*)\s*[A-Za-z][\w-]{0,15}>\s*$")
PAGING_END = re.compile(rb"press\s*\[?enter\]?[^\r\n]*$", re.IGNORECASE)

_COMMAND_LINE = re.compile(r"^(?:[A-Za-z][\w-]*>)?\s*(pwr|bat|info|stat|soh)(?:\s+(\d{1,3}))?\s*$",
                           re.IGNORECASE | re.ASCII)
_KEY_VALUE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 ._()/-]*?)\s*:\s*(.*?)\s*$", re.ASCII)
_INT = re.compile(r"^[+-]?[0-9]{1,12}$", re.ASCII)
_DATE, _CLOCK = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII), re.compile(r"^\d{2}:\d{2}:\d{2}$", re.ASCII)
_STATUS_WORDS = ("State", "Status")


@dataclass(frozen=True)
class UnitRow:
    """One battery unit as `pwr` (table or `pwr N`) reports it; current on the wire sign (+ = charge)."""

    index: int
    present: bool
    voltage_v: float | None = None
    current_a: float | None = None
    temperature_c: float | None = None
    temp_low_c: float | None = None
    temp_high_c: float | None = None
    cell_min_v: float | None = None
    cell_max_v: float | None = None
    soc_pct: int | None = None
    mos_temperature_c: float | None = None
    serial_number: str | None = None
    model: str | None = None
    statuses: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CellRow:
    """One cell row of `bat N` (index 0-based as printed)."""

    index: int
    voltage_v: float | None
    temperature_c: float | None
    current_a: float | None = None
    soc_pct: int | None = None
    coulomb_ah: float | None = None
    balancing: bool | None = None
    statuses: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Session:
    """Everything recognised in a console capture, keyed by unit number (1-based)."""

    units: Mapping[int, UnitRow]
    cells: Mapping[int, tuple[CellRow, ...]]
    info: Mapping[int, Mapping[str, str]]
    stat: Mapping[int, Mapping[str, str]]

    @property
    def empty(self) -> bool:
        """Whether nothing at all was recognised."""
        return not (self.units or self.cells or self.info or self.stat)


def header_names(line: str) -> list[str]:
    """Column names of a header row; `Base State`-style names are two words, joined back here."""
    names: list[str] = []
    for token in line.split():
        if token in _STATUS_WORDS and names:
            names[-1] = f"{names[-1]} {token}"
        else:
            names.append(token)
    return names


def row_tokens(line: str) -> list[str]:
    """Whitespace tokens of a data row with `date time` and `N mAH` joined back into one field."""
    out: list[str] = []
    for token in line.split():
        if out and _CLOCK.match(token) and _DATE.match(out[-1]):
            out[-1] = f"{out[-1]} {token}"
        elif out and token.lower() == "mah" and _INT.match(out[-1]):
            out[-1] = f"{out[-1]} mAH"
        else:
            out.append(token)
    return out


def map_row(names: list[str], tokens: list[str]) -> dict[str, str]:
    """Pair tokens with column names; where firmwares print a `N% N mAH` pair the header lacks, match by content."""
    if len(tokens) == len(names):
        return dict(zip(names, tokens))
    # Pytes `bat` rows carry `SOC%  mAH` under one `Coulomb` header and drop other columns:
    # pull those two out by their units and pair the rest in order.
    percent = [t for t in tokens if t.endswith("%")]
    mah = [t for t in tokens if t.endswith(" mAH")]
    rest = [t for t in tokens if t not in percent and t not in mah]
    plain = [n for n in names if n not in ("SOC", "Coulomb")]
    row = dict(zip(plain, rest))
    if percent:
        row["SOC"] = percent[0]
    if mah:
        row["Coulomb"] = mah[0]
    return row


def number(row: Mapping[str, str], name: str, scale: float, where: str) -> float | None:
    """A numeric column divided by `scale`; `-` or a missing column is None, anything else is an error."""
    raw = row.get(name)
    if raw is None or raw.strip("-") == "":
        return None
    text = raw.split()[0].rstrip("%")
    if not _INT.match(text):
        raise DecodeError(f"{where}: column {name} holds {raw[:20]!r}, not a number", field=name)
    return int(text) / scale


def percent(row: Mapping[str, str], name: str, where: str) -> int | None:
    """A `NN%` column as an integer percentage."""
    value = number(row, name, 1, where)
    return None if value is None else int(value)


def _statuses(row: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {n: row[n] for n in names if n in row and row[n] not in ("-", "")}


_PWR_STATUS = ("Base.St", "Volt.St", "Curr.St", "Temp.St", "B.V.St", "B.T.St", "M.T.St", "SysAlarm.St")
_BAT_STATUS = ("Base State", "Volt. State", "Curr. State", "Temp. State")


def pwr_row(names: list[str], line: str) -> UnitRow:
    """One data row of the `pwr` table; numbers are mV, mA, m°C as the console prints them."""
    tokens = row_tokens(line)
    row, index = map_row(names, tokens), int(line.split()[0])
    where = f"pwr unit {index}"
    present = row.get("Base.St", "-").lower() not in ("absent", "-")
    if not present:
        return UnitRow(index=index, present=False, statuses=_statuses(row, _PWR_STATUS))
    barcode = row.get("Barcode")
    return UnitRow(
        index=index, present=True,
        voltage_v=number(row, "Volt", 1000, where), current_a=number(row, "Curr", 1000, where),
        temperature_c=number(row, "Tempr", 1000, where), temp_low_c=number(row, "Tlow", 1000, where),
        temp_high_c=number(row, "Thigh", 1000, where), cell_min_v=number(row, "Vlow", 1000, where),
        cell_max_v=number(row, "Vhigh", 1000, where), soc_pct=percent(row, "Coulomb", where),
        mos_temperature_c=number(row, "MosTempr", 1000, where),
        serial_number=barcode if barcode not in (None, "-") else None,
        model=row.get("DevType") if row.get("DevType") not in (None, "-") else None,
        statuses=_statuses(row, _PWR_STATUS))


def bat_row(names: list[str], line: str, unit: int) -> CellRow:
    """One cell row of `bat N`: mV, mA, m°C, SOC %, `N mAH`, and the BAL flag where present."""
    tokens = row_tokens(line)
    row, index = map_row(names, tokens), int(line.split()[0])
    where = f"bat {unit} cell {index}"
    coulomb = number(row, "Coulomb", 1000, where)
    bal = row.get("BAL")
    return CellRow(
        index=index, voltage_v=number(row, "Volt", 1000, where), temperature_c=number(row, "Tempr", 1000, where),
        current_a=number(row, "Curr", 1000, where), soc_pct=percent(row, "SOC", where), coulomb_ah=coulomb,
        balancing=None if bal is None else bal.upper() == "Y", statuses=_statuses(row, _BAT_STATUS))


def unit_from_pwr_n(index: int, kv: Mapping[str, str]) -> UnitRow:
    """A unit from the `pwr N` key/value view (Voltage mV, Current mA, Temperature mC, Coulomb %)."""
    where = f"pwr {index}"
    row = {k: v for k, v in kv.items()}
    status = {"Base.St": kv.get("Basic Status", ""), "Volt.St": kv.get("Volt Status", ""),
              "Curr.St": kv.get("Current Status", ""), "Temp.St": kv.get("Tmpr. Status", ""),
              "Coul.St": kv.get("Coul. Status", "")}
    present = status["Base.St"].lower() != "absent"
    return UnitRow(
        index=index, present=present, voltage_v=number(row, "Voltage", 1000, where),
        current_a=number(row, "Current", 1000, where), temperature_c=number(row, "Temperature", 1000, where),
        soc_pct=percent(row, "Coulomb", where), serial_number=kv.get("Barcode") or None,
        model=kv.get("DevType") or None, statuses={k: v for k, v in status.items() if v})


def lines_of(text: str) -> list[str]:
    """Non-empty lines, whatever mix of \\r and \\n the firmware uses."""
    return [line for line in re.split(r"[\r\n]+", text) if line.strip()]


def parse_session(text: str, command: str = "", unit: int = 1) -> Session:
    """Parse a captured console session (pwr, pwr N, bat N, info N, stat); `command`/`unit` apply until an echo."""
    units: dict[int, UnitRow] = {}
    cells: dict[int, list[CellRow]] = {}
    info: dict[int, dict[str, str]] = {}
    stat: dict[int, dict[str, str]] = {}
    table: str | None = None
    names: list[str] = []
    kv: dict[str, str] = {}

    def flush_kv() -> None:
        if kv and command == "pwr" and ("Voltage" in kv or "Basic Status" in kv):
            units[unit] = unit_from_pwr_n(unit, kv)
        elif kv and command == "info":
            info[unit] = dict(kv)
        elif kv and command in ("stat", "soh"):
            stat[unit] = dict(kv)
        kv.clear()

    for line in lines_of(text):
        stripped = PAGING.sub("", line).strip()
        if not stripped:
            continue
        match = _COMMAND_LINE.match(stripped)
        if match:
            flush_kv()
            command, unit = match.group(1).lower(), int(match.group(2) or 1)
            table, names = None, []
            continue
        first = stripped.split()[0]
        if first == "Power" and "Volt" in stripped.split():
            table, names = "pwr", header_names(stripped)
        elif first == "Battery" and "Volt" in stripped.split():
            table, names = "bat", header_names(stripped)
            cells[unit] = []
        elif table and _INT.match(first) and not first.startswith(("-", "+")):
            if table == "pwr":
                row = pwr_row(names, stripped)
                units[row.index] = row
            else:
                cells[unit].append(bat_row(names, stripped, unit))
        elif (pair := _KEY_VALUE.match(stripped)) and command:
            table = None
            kv[pair.group(1)] = pair.group(2)
        # Other lines (`@`, `$$`, a split paging prompt) neither end a table nor hold data.
    flush_kv()
    return Session(units=units, cells={k: tuple(v) for k, v in cells.items() if v}, info=info, stat=stat)


def merge(sessions: list[Session]) -> Session:
    """One Session from several replies; later replies win for the same unit."""
    units: dict[int, UnitRow] = {}
    cells: dict[int, tuple[CellRow, ...]] = {}
    info: dict[int, Mapping[str, str]] = {}
    stat: dict[int, Mapping[str, str]] = {}
    for session in sessions:
        units.update(session.units)
        cells.update(session.cells)
        info.update(session.info)
        stat.update(session.stat)
    return Session(units=units, cells=cells, info=info, stat=stat)


def identity_of(kv: Mapping[str, str]) -> dict[str, str | int | None]:
    """Model, serial and versions from `info N` key/values."""
    cells = kv.get("Cell Number", "")
    return {
        "manufacturer": kv.get("Manufacturer") or None,
        "model": kv.get("Device name") or kv.get("Device Name") or None,
        "serial_number": kv.get("Barcode") or None,
        "hardware_version": kv.get("Board version") or kv.get("Board Version") or None,
        "software_version": (kv.get("Main Soft version") or kv.get("Soft version")
                             or kv.get("Soft  version") or None),
        "specification": kv.get("Specification") or None,
        "cells": int(cells) if _INT.match(cells) else None,
    }


def cycles_of(kv: Mapping[str, str]) -> int | None:
    """The cycle count from `stat` (`CYCLE Times`), if present."""
    for key, value in kv.items():
        if key.lower().replace(" ", "") in ("cycletimes", "cycletime", "cyclecount"):
            token = value.split()[0] if value.split() else ""
            return int(token) if _INT.match(token) else None
    return None
