"""Accuenergy Acuvim II power meters (requests kept under 15 registers)."""

from __future__ import annotations

from appliance.drivers.base import Driver
from appliance.drivers.schemas import defaults_of, modbus_schema

SCHEMA = modbus_schema("acuvim2", extra={
    "max_registers_per_request": {"type": "integer", "minimum": 1, "maximum": 14, "default": 14},
})


class AcuvimDriver(Driver):
    """Accuenergy Acuvim II power meters (requests kept under 15 registers)."""

    adapter_type = "acuvim2"
    category = "meter"
    name = "Accuenergy Acuvim II Adapter"
    description = "Accuenergy Acuvim II power meters (requests kept under 15 registers)"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
