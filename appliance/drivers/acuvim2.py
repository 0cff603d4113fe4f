"""Accuenergy Acuvim II power meters (requests of at most 60 registers)."""

from __future__ import annotations

import math
from typing import Mapping

from appliance.drivers.base import Identity, Reading
from appliance.drivers.modbus.codec import decode_field
from appliance.drivers.modbus.device import ModbusMapDriver, clean, probe, reading_from
from appliance.drivers.modbus.regmap import load_map
from appliance.drivers.schemas import defaults_of, modbus_schema
from appliance.errors import UnsupportedError
from appliance.jsontypes import Json, to_int

SCHEMA = modbus_schema("acuvim2", extra={
    "max_registers_per_request": {"type": "integer", "minimum": 1, "maximum": 60, "default": 60,
                                  "description": "Registers per read; the meter serves up to 60"},
    "invert_power": {"type": "boolean", "default": False,
                     "description": "Flip power signs when the meter's VAR/PF convention reads import negative"},
})
MAP = "acuvim2"
FAMILY = "Acuvim II"
POWER_KEYS = ("power_w", "powers_w", "reactive_power_var")


def _flip(values: Json) -> None:
    for key in POWER_KEYS:
        value = values.get(key)
        if isinstance(value, list):
            values[key] = [-item if isinstance(item, (int, float)) else item for item in value]
        elif isinstance(value, (int, float)):
            values[key] = -value


class AcuvimDriver(ModbusMapDriver):
    """Accuenergy Acuvim II power meters (requests of at most 60 registers)."""

    adapter_type = "acuvim2"
    category = "meter"
    name = "Accuenergy Acuvim II Adapter"
    description = "Accuenergy Acuvim II power meters (requests of at most 60 registers)"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
    family = FAMILY

    def map_name(self) -> str:
        """Acuvim II has one map."""
        return MAP

    def max_count(self) -> int | None:
        """The configured request limit (the meter serves up to 60 registers a read)."""
        return to_int(self.config.get("max_registers_per_request", 60), "max_registers_per_request")

    def identify(self) -> Identity:
        """No model or serial register is documented: a 45-65 Hz frequency at 0x4000 is the sign."""
        registers = probe(self.unit_link, FAMILY, 16384, 2)
        frequency = decode_field(load_map(MAP).field("frequency_hz"), registers)
        if not isinstance(frequency, float) or not math.isfinite(frequency) or not 45 <= frequency <= 65:
            raise UnsupportedError(f"not an {FAMILY} meter: register 0x4000 holds no mains frequency")
        return Identity(adapter_type=self.adapter_type, model="Acuvim II", serial_number=None,
                        details={"frequency_hz": frequency})

    def decode_for(self, map_name: str, registers: Mapping[int, int]) -> Reading:
        """Decode, applying the configured power sign."""
        return self.decode(registers, invert_power=bool(self.config.get("invert_power")))

    @classmethod
    def decode(cls, registers: Mapping[int, int], invert_power: bool = False) -> Reading:
        """Pure decode of the 0x4000 float block and the 0x4048 energy counters."""
        reading = reading_from(load_map(MAP), clean(registers))
        if not invert_power:
            return reading
        values = dict(reading.values)
        _flip(values)
        return Reading(kind=reading.kind, values=values, details=reading.details, ts_ms=reading.ts_ms)
