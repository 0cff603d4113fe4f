"""Senergy SE-series hybrid inverters over Modbus RTU or TCP (map unverified on hardware)."""

from __future__ import annotations

import contextlib
from typing import Mapping

from appliance.drivers.base import Identity, Reading
from appliance.drivers.modbus.device import ModbusMapDriver, clean, identity_values, probe, reading_from
from appliance.drivers.modbus.regmap import load_map
from appliance.drivers.schemas import defaults_of, modbus_schema
from appliance.errors import UnsupportedError
from appliance.jsontypes import text

SCHEMA = modbus_schema("senergy")
MAP = "senergy"
FAMILY = "Senergy"


class SenergyDriver(ModbusMapDriver):
    """Senergy SE-series hybrid inverters over Modbus RTU or TCP (map unverified on hardware)."""

    adapter_type = "senergy"
    category = "inverter"
    name = "Senergy Inverter Adapter"
    description = "Senergy SE-series hybrid inverters over Modbus RTU or TCP (map unverified on hardware)"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
    family = FAMILY

    def map_name(self) -> str:
        """Senergy has one map."""
        return MAP

    def identify(self) -> Identity:
        """Model (0x1A00) and serial (0x1A10) as ASCII; the rated power if the device answers it."""
        rmap = load_map(MAP)
        registers = probe(self.unit_link, FAMILY, 6656, 8)
        registers.update(probe(self.unit_link, FAMILY, 6672, 8))
        with contextlib.suppress(UnsupportedError):  # the rated power is a nicety, not proof of identity
            registers.update(probe(self.unit_link, FAMILY, 6726, 1))
        values = identity_values(rmap, registers, FAMILY)
        model, serial = text(values.get("model")), text(values.get("serial_number"))
        if not model or not serial:
            raise UnsupportedError(f"not a {FAMILY} device: no model or serial number at 0x1A00/0x1A10")
        return Identity(adapter_type=self.adapter_type, model=model, serial_number=serial,
                        details={"rated_power_w": values.get("rated_power_w"), "map_verified": False})

    @classmethod
    def decode(cls, registers: Mapping[int, int]) -> Reading:
        """Pure decode of the (unverified) Senergy map."""
        return reading_from(load_map(MAP), clean(registers))


