"""Battery cell readings: one row per pack reading, the cells in a compact versioned blob.

Every reader goes through this module (the cell chart, the sync feed, the compatibility view of
migration 13), so the encoding can change with a new version byte without touching them.

Layout of version 1 (all integers little-endian):

    byte 0   version (1)
    byte 1   U: units (slots; a unit's slot is its position in the reading, the catalog's battery_index)
    byte 2   S: cells per unit slot (the longest unit; shorter units are padded with "missing")
    byte 3   T: temperature probes per unit slot
    byte 4   flags: bit 0 = balancing bits follow
    U bytes  each unit's own number (the BMS's numbering, the document's `power` column)
    U*S u16  cell voltages in mV, unit by unit; 0xFFFF = missing
    U*T i16  probe temperatures in 0.1 degC; -32768 = missing
    U*ceil(S/8) bytes  balancing bits, unit by unit, cell 0 in the lowest bit (when flagged)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterable, Mapping, NotRequired, Sequence, TypedDict

from appliance.errors import StoreError
from appliance.store.models import database

VERSION = 1
HEADER = 5
MISSING_MV = 0xFFFF
MISSING_DC = -32768
MAX_SLOTS = 255


class CellUnitJson(TypedDict):
    """A unit's cells as the API and the sync feed show them."""

    position: int
    number: int
    voltages_v: list[float | None]
    temperatures_c: list[float | None]
    balancing: NotRequired[list[bool]]


class CellReadingJson(TypedDict):
    """A pack's cell reading as the API shows it."""

    pack_id: str
    ts: int
    flags: int
    units: list[CellUnitJson]


@dataclass(frozen=True)
class CellUnit:
    """One battery unit's cells in a reading."""

    position: int
    number: int
    voltages_v: tuple[float | None, ...]
    temperatures_c: tuple[float | None, ...] = ()
    balancing: tuple[bool, ...] | None = None

    def to_json(self) -> CellUnitJson:
        """The unit as the API and the sync feed show it."""
        body: CellUnitJson = {"position": self.position, "number": self.number,
                              "voltages_v": list(self.voltages_v), "temperatures_c": list(self.temperatures_c)}
        if self.balancing is not None:
            body["balancing"] = list(self.balancing)
        return body


@dataclass(frozen=True)
class CellReading:
    """The cells of one pack reading."""

    pack_id: str
    ts: int
    units: tuple[CellUnit, ...]
    flags: int = 0

    def to_json(self) -> CellReadingJson:
        """The reading as the API shows it."""
        return {"pack_id": self.pack_id, "ts": self.ts, "flags": self.flags,
                "units": [u.to_json() for u in self.units]}


def _mv(volts: object) -> int:
    if not isinstance(volts, (int, float)) or isinstance(volts, bool) or volts != volts:
        return MISSING_MV
    return min(max(int(round(volts * 1000)), 0), MISSING_MV - 1)


def _dc(celsius: object) -> int:
    if not isinstance(celsius, (int, float)) or isinstance(celsius, bool) or celsius != celsius:
        return MISSING_DC
    return min(max(int(round(celsius * 10)), MISSING_DC + 1), 32767)


def encode(units: Sequence[CellUnit]) -> bytes:
    """The blob of a reading's units (positions 0..U-1; a position with no unit is all "missing")."""
    if not units:
        raise StoreError("a cell reading needs at least one unit")
    slots = max(u.position for u in units) + 1
    stride = max(len(u.voltages_v) for u in units)
    probes = max(len(u.temperatures_c) for u in units)
    if slots > MAX_SLOTS or stride > MAX_SLOTS or probes > MAX_SLOTS:
        raise StoreError(f"too many units, cells or probes for a cell reading ({slots}, {stride}, {probes})")
    balancing = any(u.balancing is not None for u in units)
    by_slot = {u.position: u for u in units}
    numbers = bytearray()
    volts: list[int] = []
    temps: list[int] = []
    bits = bytearray()
    width = (stride + 7) // 8
    for slot in range(slots):
        unit = by_slot.get(slot)
        numbers.append(min(max(unit.number, 0), 255) if unit else 0)
        cells = list(unit.voltages_v) if unit else []
        volts.extend(_mv(v) for v in cells + [None] * (stride - len(cells)))
        probe_values = list(unit.temperatures_c) if unit else []
        temps.extend(_dc(t) for t in probe_values + [None] * (probes - len(probe_values)))
        if balancing:
            mask = 0
            for index, on in enumerate((unit.balancing or ()) if unit else ()):
                if on:
                    mask |= 1 << index
            bits.extend(mask.to_bytes(width, "little"))
    header = bytes((VERSION, slots, stride, probes, 1 if balancing else 0))
    return (header + bytes(numbers) + struct.pack(f"<{len(volts)}H", *volts)
            + struct.pack(f"<{len(temps)}h", *temps) + bytes(bits))


def decode(blob: bytes) -> tuple[CellUnit, ...]:
    """The units of a blob; raises StoreError on a blob this version cannot read."""
    if not isinstance(blob, (bytes, bytearray, memoryview)) or len(blob) < HEADER:
        raise StoreError("not a cell reading blob")
    data = bytes(blob)
    version, slots, stride, probes, flags = data[:HEADER]
    if version != VERSION:
        raise StoreError(f"cell reading blob version {version} is unknown to this appliance")
    width = (stride + 7) // 8 if flags & 1 else 0
    size = HEADER + slots + 2 * slots * stride + 2 * slots * probes + slots * width
    if len(data) != size:
        raise StoreError(f"cell reading blob has {len(data)} bytes, its header says {size}")
    at = HEADER + slots
    volts = struct.unpack_from(f"<{slots * stride}H", data, at)
    at += 2 * slots * stride
    temps = struct.unpack_from(f"<{slots * probes}h", data, at)
    at += 2 * slots * probes
    units = []
    for slot in range(slots):
        cells = volts[slot * stride:(slot + 1) * stride]
        if all(v == MISSING_MV for v in cells):
            continue  # an empty slot: the unit was absent from this reading
        # Trailing "missing" cells are padding of a unit shorter than the longest one.
        last = max(i for i, v in enumerate(cells) if v != MISSING_MV) + 1
        probe_values = temps[slot * probes:(slot + 1) * probes]
        balancing = None
        if width:
            mask = int.from_bytes(data[at + slot * width:at + (slot + 1) * width], "little")
            balancing = tuple(bool(mask >> i & 1) for i in range(last))
        units.append(CellUnit(
            position=slot, number=data[HEADER + slot],
            voltages_v=tuple(None if v == MISSING_MV else v / 1000 for v in cells[:last]),
            temperatures_c=tuple(None if t == MISSING_DC else t / 10 for t in probe_values),
            balancing=balancing))
    return tuple(units)


class CellsAggregate:
    """SQLite aggregate `appliance_cells_blob(position, number, cell, voltage, temperature, balancing)`.

    Migration 13 folds the old one-row-per-cell samples into one blob per pack reading with it.
    """

    def __init__(self) -> None:
        self.cells: dict[int, dict[int, tuple[float | None, float | None, int | None]]] = {}
        self.numbers: dict[int, int] = {}

    def step(self, position: int, number: int, cell: int, voltage: float | None, temperature: float | None,
             balancing: int | None) -> None:
        """Add one cell row."""
        self.numbers[position] = number
        self.cells.setdefault(position, {})[cell] = (voltage, temperature, balancing)

    def finalize(self) -> bytes:
        """The blob of the collected cells."""
        units = []
        for position, cells in self.cells.items():
            count = max(cells) + 1
            rows = [cells.get(i, (None, None, None)) for i in range(count)]
            temps = [r[1] for r in rows]
            while temps and temps[-1] is None:
                temps.pop()
            flags = [r[2] for r in rows]
            units.append(CellUnit(position, self.numbers[position], tuple(r[0] for r in rows), tuple(temps),
                                  tuple(bool(b) for b in flags) if any(b is not None for b in flags) else None))
        return encode(units)


def _reading(pack_id: str, ts: int, blob: bytes, flags: int | None) -> CellReading:
    return CellReading(pack_id, ts, decode(blob), int(flags or 0))


def read_cells(pack_id: str, start_ms: int, end_ms: int, *, limit: int = 2000) -> list[CellReading]:
    """The cell readings of a pack with start_ms <= ts < end_ms, oldest first, at most `limit`."""
    rows = database.execute_sql(
        "SELECT ts, cells, flags FROM battery_cell_readings WHERE pack_id = ? AND ts >= ? AND ts < ? "
        "ORDER BY ts LIMIT ?", (pack_id, start_ms, end_ms, limit)).fetchall()
    return [_reading(pack_id, ts, blob, flags) for ts, blob, flags in rows]


def latest_cells(pack_id: str) -> CellReading | None:
    """The newest cell reading of a pack, or None."""
    row = database.execute_sql("SELECT ts, cells, flags FROM battery_cell_readings WHERE pack_id = ? "
                               "ORDER BY ts DESC LIMIT 1", (pack_id,)).fetchone()
    return _reading(pack_id, row[0], row[1], row[2]) if row else None


def units_from_reading(units: Iterable[Mapping[str, object]]) -> list[CellUnit]:
    """CellUnits from a reading's unit dicts (`cell_voltages_v`, `cell_temperatures_c`, `balancing`, `index`)."""
    out = []
    for position, unit in enumerate(units):
        volts = unit.get("cell_voltages_v")
        if not isinstance(volts, (list, tuple)) or not volts:
            continue
        temps = unit.get("cell_temperatures_c")
        flags = unit.get("balancing")
        index = unit.get("index")
        number = index if isinstance(index, int) else position + 1
        out.append(CellUnit(position, number, tuple(volts),
                            tuple(temps) if isinstance(temps, (list, tuple)) else (),
                            tuple(bool(b) for b in flags) if isinstance(flags, (list, tuple)) else None))
    return out
