"""Modbus battery storage system from the PowerPack PP-500 register template."""

from __future__ import annotations

from appliance.drivers.base import Driver
from appliance.drivers.schemas import defaults_of, modbus_schema

SCHEMA = modbus_schema("powerpack", extra={
    "max_charge_kw": {"type": "number", "minimum": 0, "maximum": 100000, "default": 100},
    "max_discharge_kw": {"type": "number", "minimum": 0, "maximum": 100000, "default": 100},
    "capacity_kwh": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000000, "default": 500},
})


class PowerPackDriver(Driver):
    """Modbus battery storage system from the PowerPack PP-500 register template."""

    adapter_type = "powerpack"
    category = "bess"
    name = "PowerPack BESS Adapter"
    description = "Modbus battery storage system from the PowerPack PP-500 register template"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
