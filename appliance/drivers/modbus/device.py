"""What every map-driven Modbus driver shares: planned reads, probes and readings."""

from __future__ import annotations

import functools
from abc import abstractmethod
from typing import ClassVar, Mapping

from appliance.clock import now_ms
from appliance.drivers.base import DECODE_REGISTERS, Driver, Reading
from appliance.drivers.links import ModbusLink
from appliance.drivers.modbus.codec import check_registers, decode_field, decode_map
from appliance.drivers.modbus.exceptions import ModbusExceptionError
from appliance.drivers.modbus.planner import Block, plan
from appliance.drivers.modbus.regmap import RegisterMap, load_map
from appliance.errors import DecodeError, TransportError, UnsupportedError
from appliance.jsontypes import Json, JsonObject


@functools.lru_cache(maxsize=None)
def map_plan(map_name: str, max_count: int | None = None) -> tuple[Block, ...]:
    """The cached read plan of a map, optionally with a tighter per-request limit."""
    rmap = load_map(map_name)
    limit = min(rmap.max_block, max_count) if max_count else rmap.max_block
    return plan(rmap.fields, max_count=limit, max_gap=rmap.max_gap)


def read_block(link: ModbusLink, block: Block) -> dict[int, int]:
    """One block read as address -> value; TransportError if the answer has the wrong size."""
    reader = link.read_input if block.kind == "input" else link.read_holding
    words = reader(block.address, block.count)
    if len(words) != block.count:
        raise TransportError(f"asked {block.count} registers at {block.address}, got {len(words)}")
    return {block.address + i: word for i, word in enumerate(words)}


def read_blocks(link: ModbusLink, blocks: tuple[Block, ...]) -> dict[int, int]:
    """Every block of a plan merged into one register dict."""
    registers: dict[int, int] = {}
    for block in blocks:
        registers.update(read_block(link, block))
    return registers


def not_a(family: str) -> str:
    """The start of a 'wrong family' message, with the right article."""
    return f"not {'an' if family[:1] in 'AEIOU' else 'a'} {family} device"


def probe(link: ModbusLink, family: str, address: int, count: int, kind: str = "holding") -> dict[int, int]:
    """An identification read: an exception response means 'not this family' (UnsupportedError)."""
    try:
        return read_block(link, Block(kind, address, count))
    except ModbusExceptionError as exc:
        raise UnsupportedError(f"{not_a(family)}: {exc.message}") from exc


def identity_values(rmap: RegisterMap, registers: Mapping[int, int], family: str) -> Json:
    """The map's identity fields decoded; non-text where text belongs means another family."""
    values: Json = {}
    for item in rmap.identity:
        try:
            value = decode_field(item, registers)
        except DecodeError as exc:
            raise UnsupportedError(f"{not_a(family)}: {item.name}: {exc.message}") from exc
        if value is not None:
            values[item.name] = value
    return values


def reading_from(rmap: RegisterMap, registers: Mapping[int, int], *, extra: JsonObject | None = None,
                 extra_alarms: tuple[str, ...] = (), ts_ms: int | None = None) -> Reading:
    """A Reading of the map's kind; DecodeError when not one field could be decoded."""
    decoded = decode_map(rmap, registers)
    if not decoded.values and not decoded.details and not decoded.alarms:
        raise DecodeError(f"none of the {rmap.name} map's registers were given")
    values = dict(decoded.values)
    alarms = list(dict.fromkeys(decoded.alarms + extra_alarms))
    if alarms:
        values["alarms"] = alarms
    return Reading(kind=rmap.reading_kind, values=values, details={**decoded.details, **(extra or {})},
                   ts_ms=ts_ms)


class ModbusMapDriver(Driver):
    """A driver whose reading is one register map read with the planner."""

    decode_inputs: ClassVar[frozenset[str]] = frozenset({DECODE_REGISTERS})
    family: ClassVar[str]
    link: ModbusLink

    @abstractmethod
    def map_name(self) -> str:
        """Which map this device uses (profiles may pick one at run time)."""

    def max_count(self) -> int | None:
        """A per-device request size limit, if the device needs one below the map's."""
        return None

    @property
    def unit_link(self) -> ModbusLink:
        """The injected link, typed."""
        return self.link

    def read_registers(self) -> dict[int, int]:
        """Every register the map needs, in planned blocks."""
        return read_blocks(self.unit_link, map_plan(self.map_name(), self.max_count()))

    def read(self) -> Reading:
        """One full reading through the planner."""
        registers = self.read_registers()
        reading = self.decode_for(self.map_name(), registers)
        return Reading(kind=reading.kind, values=reading.values, details=reading.details, ts_ms=now_ms())

    def decode_for(self, map_name: str, registers: Mapping[int, int]) -> Reading:
        """Decode with a chosen map (instances may post-process with their config)."""
        return reading_from(load_map(map_name), registers)


def clean(registers: object) -> dict[int, int]:
    """Registers from JSON (string keys) or code, checked to be 16-bit words."""
    return check_registers(registers)
