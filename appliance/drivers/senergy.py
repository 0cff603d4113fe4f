"""Senergy SE-series hybrid inverters over Modbus RTU or TCP (map unverified on hardware)."""

from __future__ import annotations

from appliance.drivers.base import Driver
from appliance.drivers.schemas import defaults_of, modbus_schema

SCHEMA = modbus_schema("senergy")


class SenergyDriver(Driver):
    """Senergy SE-series hybrid inverters over Modbus RTU or TCP (map unverified on hardware)."""

    adapter_type = "senergy"
    category = "inverter"
    name = "Senergy Inverter Adapter"
    description = "Senergy SE-series hybrid inverters over Modbus RTU or TCP (map unverified on hardware)"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
