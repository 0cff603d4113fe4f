"""Powdrive and other Deye/Sunsynk-family hybrid inverters over Modbus RTU or TCP."""

from __future__ import annotations

from appliance.drivers.base import Driver
from appliance.drivers.schemas import defaults_of, modbus_schema

SCHEMA = modbus_schema("powdrive", extra={
    "profile": {"type": "string", "enum": ["auto", "three_phase_lv", "three_phase_hv", "single_phase"],
                "default": "auto", "description": "Register map; auto reads register 0"},
})


class PowdriveDriver(Driver):
    """Powdrive and other Deye/Sunsynk-family hybrid inverters over Modbus RTU or TCP."""

    adapter_type = "powdrive"
    category = "inverter"
    name = "Powdrive Inverter Adapter"
    description = "Powdrive and other Deye/Sunsynk-family hybrid inverters over Modbus RTU or TCP"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
